# step_time.gp: time per time step (median_ms / T) against the sequence
# length T: flat lines mean the cost is linear in T, as it should be.
load style
nc = words(cells); np = words(passes)
do for [fmt in "png pdf"] {
    if (fmt eq "png") { set terminal pngcairo noenhanced size 1900, 420 * np + 60 font "Sans,11" }
    else { set terminal pdfcairo noenhanced size 7.16in, (1.55 * np + 0.3)in font "Sans,7" }
    set output sprintf("%s/step_time.%s", out, fmt)
    set multiplot layout np, nc title sprintf("Time per step vs sequence length (%s) - %s", shape, title) font ",9"
    do for [p = 1:np] { do for [c = 1:nc] {
        set title sprintf("%s, %s", word(cells, c), word(passes, p)) font ",8"
        set xlabel "sequence length T"
        set ylabel "ms per step"
        set logscale y
        if (p * c > 1) { unset key } else { set key }
        plot for [v = 1:words(variants)] \
            sprintf("%s/t_%s_%s_%s.dat", data, word(cells, c), word(passes, p), word(variants, v)) \
            using 1:2 title word(variants, v) lc rgb vcolor(v) pt (v % 7) + 1
    } }
    unset multiplot
}
