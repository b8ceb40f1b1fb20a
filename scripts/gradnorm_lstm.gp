# gradnorm_lstm.gp: lstm with forget bias 0 (solid) against 1 (dashed):
# ‖∂L/∂h_t‖ (left) and ‖∂L/∂c_t‖ (right) against k, a colour per rho. With
# zero-mean biases f = σ(~0) ≈ 0.5, so the cell-state path halves the
# gradient at every step; a forget bias of 1 gives f ≈ 0.73 and keeps
# orders of magnitude more (Gers et al. 2000; Jozefowicz et al. 2015).
# Variables from gradplots.sh: csv0 csv1 rhos hcol ccol out machine variant
# shape.
set encoding utf8
set datafile separator ","
nr = words(rhos)
colors = "#2166ac #404040 #b2182b #1b7837 #762a83 #e08214"
rcolor(i) = word(colors, (i - 1) % words(colors) + 1)
sel(r) = strcol(2) eq word(rhos, r)
# nan/inf (float overflow) are not drawn; gnuplot would take "inf" as a number.
nonfin(col) = strcol(col) eq "nan" || strcol(col) eq "-nan" || strcol(col) eq "inf" || strcol(col) eq "-inf"
fin(col) = nonfin(col) ? NaN : column(col)
stats csv0 using 3 nooutput
T = STATS_max + 1

# Two panels and a narrow legend column on the right, placed by hand.
W = 6.8; Hin = 3.4; top = 1 - 0.85 / Hin; bottom = 0.55 / Hin
pl = "0.085 0.5"; pr = "0.415 0.83"
do for [fmt in "png pdf"] {
    if (fmt eq "png") {
        set terminal pngcairo enhanced size int(200 * W), int(200 * Hin) font "Sans,8" fontscale 2.2 linewidth 2.2
    } else {
        set terminal pdfcairo enhanced size W * 1in, Hin * 1in font "Sans,8" linewidth 1
    }
    set output sprintf("%s.%s", out, fmt)
    set multiplot title sprintf("lstm: forget-gate bias 0 (solid) vs 1 (dashed)\n{/*0.85 %s; variant %s}\n{/*0.85 %s; U = ρ·orthogonal}", machine, variant, shape) font ",9"
    set tmargin at screen top; set bmargin at screen bottom
    set border 3 lw 0.8
    set grid xtics ytics lc rgb "#e0e0e0" lw 0.5
    unset x2tics; unset y2tics
    set xtics nomirror font ",8"; set ytics nomirror font ",8"
    set logscale y
    set format y "10^{%T}"
    set ytics 100
    set mytics 1
    set xrange [0:T - 1]; set yrange [*:*]
    set xtics 10
    set xlabel "k = T−1−t  (steps back from the last step)" font ",8" offset 0, 0.4
    unset key
    do for [p = 1:2] {
        col = p == 1 ? hcol : ccol
        set lmargin at screen real(word(pl, p)); set rmargin at screen real(word(pr, p))
        set title (p == 1 ? "hidden state: ‖∂L/∂h_t‖" : "cell state: ‖∂L/∂c_t‖ (total)") font ",9" offset 0, -0.8
        set ylabel (p == 1 ? "‖∂L/∂h_t‖" : "‖∂L/∂c_t‖") font ",8" offset 1.2, 0
        plot for [r = 1:nr] csv0 using (sel(r) ? $3 : NaN):(fin(col)) with lines lw 1.4 lc rgb rcolor(r), \
             for [r = 1:nr] csv1 using (sel(r) ? $3 : NaN):(fin(col)) with lines lw 1.4 dt (6, 3) lc rgb rcolor(r)
    }
    # The legend column: colour = rho, dash = forget bias.
    set lmargin at screen 0.845; set rmargin at screen 0.995
    unset title; unset border; unset xtics; unset ytics; unset grid; unset xlabel; unset ylabel; unset logscale y
    set xrange [0:1]; set yrange [0:1]
    set key center center vertical font ",8" spacing 1.2 samplen 2.5 width -1 noopaque
    plot for [r = 1:nr] NaN with lines lw 1.4 lc rgb rcolor(r) title sprintf("ρ = %s", word(rhos, r)), \
         NaN with lines lw 1.4 lc rgb "#808080" title "bias 0", \
         NaN with lines lw 1.4 dt (6, 3) lc rgb "#808080" title "bias 1"
    unset multiplot
}
