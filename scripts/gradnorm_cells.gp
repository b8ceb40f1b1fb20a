# gradnorm_cells.gp: ‖∂L/∂h_t‖ against k = T-1-t, one panel per cell, one
# curve per recurrent scale rho; on the plain RNN panels each rho also gets
# its rho^k guide (dashed, scaled to the curve's k = 0 value), the bound that
# act' <= 1 enforces for a loss on the last step (tanh, relu, leaky; σ' <= 1/4
# makes it loose for rnn_sigmoid).
# Variables from gradplots.sh: csv rhos cells ycol mincol maxcol (0: no
# min-max band) clip (0: unclipped, else C) out machine
# variant shape.
set encoding utf8
set datafile separator ","
nr = words(rhos); nc = words(cells)
# rho < 1 blue, rho = 1 dark grey, rho > 1 red (ColorBrewer RdBu); cycles.
colors = "#2166ac #67a9cf #404040 #f4a582 #d6604d #b2182b #67001f #1b7837 #762a83"
rcolor(i) = word(colors, (i - 1) % words(colors) + 1)
sel(c, r) = strcol(1) eq word(cells, c) && strcol(2) eq word(rhos, r)
# gradnorm writes nan/inf where float overflowed: such points are not drawn
# (gnuplot would read "inf" as a number), and the panel says so.
nonfin(col) = strcol(col) eq "nan" || strcol(col) eq "-nan" || strcol(col) eq "inf" || strcol(col) eq "-inf"
fin(col) = nonfin(col) ? NaN : column(col)

# Per panel: the data range (positive values only) and, per rho, the value
# at k = 0.
array lo[nc]; array hi[nc]; array d0[nc * nr]; array note[nc]
T = 0
do for [c = 1:nc] {
    stats csv using (strcol(1) eq word(cells, c) && !nonfin(ycol) && column(ycol) > 0 ? 1 : 0) nooutput
    if (STATS_sum > 0) {
        stats csv using (strcol(1) eq word(cells, c) && !nonfin(ycol) && column(ycol) > 0 ? column(ycol) : NaN) nooutput
        lo[c] = STATS_min; hi[c] = STATS_max
    } else {
        lo[c] = 0.1; hi[c] = 10
    }
    note[c] = ""
    do for [r = 1:nr] {
        stats csv using (sel(c, r) && $3 == 0 && !nonfin(ycol) ? column(ycol) : 1) nooutput
        d0[(c - 1) * nr + r] = STATS_max
        # Where the curve is not finite: how many points, from which k.
        stats csv using (sel(c, r) ? 1 : 0):(sel(c, r) && nonfin(ycol) ? 1 : 0) nooutput
        nall = STATS_sum_x; nbad = STATS_sum_y
        if (nbad > 0) {
            if (nbad == nall) { d0[(c - 1) * nr + r] = NaN }
            stats csv using (sel(c, r) && nonfin(ycol) ? $3 : 1e9) nooutput
            note[c] = note[c] . (nbad == nall ? sprintf("ρ = %s: float overflow, no finite value\n", word(rhos, r)) \
                                              : sprintf("ρ = %s: not finite from k = %d on (not drawn)\n", word(rhos, r), STATS_min))
        }
    }
}
stats csv using 3 nooutput
T = STATS_max + 1

rows = int((nc + 1 + 1) / 2)
panel_h = 2.15
do for [fmt in "png pdf"] {
    # Room for the three title lines and the first row's panel titles, and
    # between rows; the PNG's fonts are relatively larger than the PDF's.
    top_in = fmt eq "png" ? 0.85 : 0.7
    vspace = fmt eq "png" ? 0.075 : 0.06
    if (fmt eq "png") {
        set terminal pngcairo enhanced size 1360, int(200 * (panel_h * rows + top_in)) font "Sans,8" fontscale 2.2 linewidth 2.2
    } else {
        set terminal pdfcairo enhanced size 6.8in, (panel_h * rows + top_in)in font "Sans,8" linewidth 1
    }
    set output sprintf("%s.%s", out, fmt)
    if (clip > 0) {
        ttl = sprintf("‖∂L/∂h_t‖ after global-norm clipping to C = %g, against steps back k\n{/*0.85 %s; variant %s}\n{/*0.85 %s; U = ρ·orthogonal}", clip, machine, variant, shape)
    } else {
        ttl = sprintf("‖∂L/∂h_t‖, the gradient reaching h_t, against steps back k\n{/*0.85 %s; variant %s}\n{/*0.85 %s; U = ρ·orthogonal}", machine, variant, shape)
    }
    set multiplot layout rows, 2 title ttl font ",9" margins 0.09, 0.98, 0.06, 1 - top_in / (panel_h * rows + top_in) spacing 0.09, vspace
    do for [c = 1:nc] {
        cell = word(cells, c)
        plain = cell[1:4] eq "rnn_"
        set title cell noenhanced font ",9" offset 0, -0.8
        set border 3 lw 0.8
        set grid xtics ytics mytics lc rgb "#e0e0e0" lw 0.5
        unset x2tics; unset y2tics
        set xtics nomirror font ",8"; set ytics nomirror font ",8"
        set logscale y
        set format y "10^{%T}"
        set mytics 1
        set xrange [0:T - 1]
        set xtics 10
        # About six labelled decades per panel, whatever the span.
        span = log10(hi[c] / lo[c])
        set ytics 10**(span > 6 ? ceil(span / 6) : 1)
        set yrange [lo[c] / 3 : hi[c] * 3]
        # The k label on the bottom panel of each column only.
        if (c >= nc - 1) {
            set xlabel "k = T−1−t  (steps back from the last step)" font ",8" offset 0, 0.4
        } else {
            unset xlabel
        }
        set ylabel "‖∂L/∂h_t‖" font ",8" offset 1.2, 0
        unset key
        set samples 2 * T
        if (strlen(note[c]) > 0) {
            set label 2 note[c] at graph 0.06, graph 0.93 left front font ",7" tc rgb "#b2182b"
        } else {
            unset label 2
        }
        if (mincol > 0) {
            plot for [r = 1:nr] csv using (sel(c, r) ? $3 : NaN):(fin(mincol)):(fin(maxcol)) \
                     with filledcurves fs transparent solid 0.18 noborder lc rgb rcolor(r), \
                 for [r = 1:nr] (plain ? d0[(c - 1) * nr + r] * real(word(rhos, r))**x : NaN) \
                     with lines dt (12, 8) lw 0.8 lc rgb rcolor(r), \
                 for [r = 1:nr] csv using (sel(c, r) ? $3 : NaN):(fin(ycol)) with lines lw 1.4 lc rgb rcolor(r)
        } else {
            plot for [r = 1:nr] (plain ? d0[(c - 1) * nr + r] * real(word(rhos, r))**x : NaN) \
                     with lines dt (12, 8) lw 0.8 lc rgb rcolor(r), \
                 for [r = 1:nr] csv using (sel(c, r) ? $3 : NaN):(fin(ycol)) with lines lw 1.4 lc rgb rcolor(r)
        }
    }
    # The last slot: the legend, shared by every panel.
    unset label 2
    unset title; unset border; unset xtics; unset ytics; unset grid; unset xlabel; unset ylabel; unset logscale y
    set xrange [0:1]; set yrange [0:1]
    set key center center vertical maxrows (nr + 2) font ",8" spacing 1.15 samplen 3 width 1 \
        title "recurrent scale ρ (spectral radius of U)" noopaque
    if (clip > 0) {
        set label 1 sprintf("each curve is ‖∂L/∂h_t‖ · min(1, C/‖g‖),\n‖g‖ the global norm of the parameter gradients;\nclipping rescales a curve, it cannot bend it") at graph 0.5, graph -0.02 center font ",7.5"
    } else {
        set label 1 "dashed: ρ^k · ‖∂L/∂h_{T−1}‖ (plain RNN panels);\nband: min–max over seeds, line: geometric mean" at graph 0.5, graph -0.02 center font ",7.5"
    }
    plot for [r = 1:nr] NaN with lines lw 1.4 lc rgb rcolor(r) title sprintf("ρ = %s", word(rhos, r)), \
         NaN with lines dt (12, 8) lw 0.8 lc rgb "#404040" title "ρ^k guide"
    unset label 1
    unset multiplot
    unset key
}
