# pct_peak.gp: percent of the measured fp32 FMA peak (rnnbench info) against
# H, one panel per cell (first pass listed), one curve per variant; error
# bars: the interval of the median.
load style
nc = words(cells); np = words(passes)
do for [fmt in "png pdf"] {
    if (fmt eq "png") { set terminal pngcairo noenhanced size 1900, 420 * np + 60 font "Sans,11" }
    else { set terminal pdfcairo noenhanced size 7.16in, (1.55 * np + 0.3)in font "Sans,7" }
    set output sprintf("%s/pct_peak.%s", out, fmt)
    set multiplot layout np, nc title sprintf("Percent of measured FMA peak (%s) - %s", shape, title) font ",9"
    do for [p = 1:np] { do for [c = 1:nc] {
        set title sprintf("%s, %s", word(cells, c), word(passes, p)) font ",8"
        set xlabel "hidden size H"
        set ylabel "% of peak"
        set logscale x 2
        set yrange [0:100]
        if (p * c > 1) { unset key } else { set key }
        cl = curves("peak", word(cells, c), word(passes, p))
        if (words(cl) == 0) { set label 1 "no data" at graph 0.5, 0.5 center; plot [1:2] [1:2] 1/0 notitle; unset label 1 } else {
        plot for [w in cl] \
            sprintf("%s/peak_%s_%s_%s.dat", data, word(cells, c), word(passes, p), cname(w)) \
            using 1:2:3:4 with yerrorlines title cname(w) lc rgb vcolor(cidx(w)) pt (cidx(w) % 7) + 1 }
    } }
    unset multiplot
}
