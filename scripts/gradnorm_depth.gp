# gradnorm_depth.gp: a heat map of log10 ‖∂L/∂h^{[l]}_t‖ over steps back
# k = T-1-t (x) and layer l (y, the input layer at the bottom, the head on
# the top layer's last step), one panel per cell, from `rnnbench gradnorm
# --layers L`. The gradient enters at the top left corner (k = 0, l = L-1)
# and spreads down through the layers and back through time; the colour
# says how much of it arrives.
# Variables from gradplots.sh: csv cells ycol lcol out machine shape rho.
# Each panel has its own colour scale (the cells differ by up to thirty
# decades), labelled in decades (the exponent of 10).
set encoding utf8
set datafile separator ","
nc = words(cells)
sel(c) = strcol(1) eq word(cells, c)
# nan/inf (overflow) and 0 (underflow) have no logarithm: left blank.
nonfin(col) = strcol(col) eq "nan" || strcol(col) eq "-nan" || strcol(col) eq "inf" || strcol(col) eq "-inf"
lg(col) = nonfin(col) || column(col) <= 0 ? NaN : log10(column(col))

stats csv using 3 nooutput
T = STATS_max + 1
stats csv using lcol nooutput
L = STATS_max + 1
array lo[nc]; array hi[nc]
do for [c = 1:nc] {
    stats csv using (sel(c) ? lg(ycol) : NaN) nooutput
    lo[c] = floor(STATS_min); hi[c] = ceil(STATS_max)
    if (hi[c] <= lo[c]) { hi[c] = lo[c] + 1 }
}

# Blue (little gradient) to yellow (much), perceptually ordered (viridis).
set palette defined (0 "#440154", 0.25 "#3b528b", 0.5 "#21918c", 0.75 "#5ec962", 1 "#fde725")
rows = int((nc + 1 + 1) / 2)
panel_h = 2.0
do for [fmt in "png pdf"] {
    top_in = fmt eq "png" ? 0.85 : 0.7
    vspace = fmt eq "png" ? 0.08 : 0.065
    if (fmt eq "png") {
        set terminal pngcairo enhanced size 1360, int(200 * (panel_h * rows + top_in)) font "Sans,8" fontscale 2.2 linewidth 2.2
    } else {
        set terminal pdfcairo enhanced size 6.8in, (panel_h * rows + top_in)in font "Sans,8" linewidth 1
    }
    set output sprintf("%s.%s", out, fmt)
    ttl = sprintf("log_{10} ‖∂L/∂h^{[l]}_t‖ through depth and time, %d layers, ρ = %s\n{/*0.85 %s; double reference}\n{/*0.85 %s; U = ρ·orthogonal in every layer}", L, rho, machine, shape)
    set multiplot layout rows, 2 title ttl font ",9" margins 0.07, 0.92, 0.06, 1 - top_in / (panel_h * rows + top_in) spacing 0.13, vspace
    do for [c = 1:nc] {
        set title word(cells, c) noenhanced font ",9" offset 0, -0.8
        set border 15 lw 0.6
        unset grid
        set xtics nomirror out font ",8"; set ytics nomirror out 1 font ",8"
        set xrange [-0.5:T - 0.5]
        set yrange [-0.5:L - 0.5]
        xstep = T > 20 ? 10 : (T > 8 ? 2 : 1)
        set xtics xstep
        set cbrange [lo[c]:hi[c]]
        # a step of whole decades, at most about five labels (a parenthesised
        # step would be read as a list of tic positions)
        cbstep = hi[c] - lo[c] > 8 ? ceil((hi[c] - lo[c]) / 4.0) : (hi[c] - lo[c] > 4 ? 2 : 1)
        set cbtics cbstep font ",7"
        set colorbox user origin graph 1.03, graph 0 size graph 0.04, graph 1
        set format cb "%g"
        if (c >= nc - 1) {
            set xlabel "k = T−1−t  (steps back from the last step)" font ",8" offset 0, 0.4
        } else {
            unset xlabel
        }
        set ylabel "layer l" font ",8" offset 1.5, 0
        unset key
        plot csv using (sel(c) ? $3 : NaN):(column(lcol)):(0.51):(0.51):(lg(ycol)) \
             with boxxyerror fs solid 1.0 noborder lc palette
    }
    # The last slot: how to read the panels.
    unset title; unset border; unset xtics; unset ytics; unset xlabel; unset ylabel; unset colorbox
    set xrange [0:1]; set yrange [0:1]
    set label 1 "The loss sits on the top layer's last step\n(top left corner, k = 0, l = L−1).\nDown: through the layers' input weights.\nRight: back through time.\nBlank: the norm is 0 or not finite." \
        at graph 0.5, graph 0.5 center font ",8"
    plot NaN notitle
    unset label 1
    unset multiplot
}
