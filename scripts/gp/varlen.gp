# varlen.gp: the time of a batch of variable lengths over the time of the
# same batch at full length T, against sum(len)/(N*T), the share of the
# steps that are real. A variant that does no work on padding lies on the
# line y = x; one that pads every sequence to T lies on y = 1. One point
# per pair of rows that differ in their lengths alone; one panel per pass.
# Error bars: the ratio's interval from the extreme combinations of both
# medians' intervals.
load style
np = words(vlpasses)
do for [fmt in "png pdf"] {
    if (fmt eq "png") { set terminal pngcairo noenhanced size 620 * np + 100, 560 font "Sans,11" }
    else { set terminal pdfcairo noenhanced size (3.0 * np + 0.4)in, 2.6in font "Sans,7" }
    set output sprintf("%s/varlen.%s", out, fmt)
    set multiplot layout 1, np title sprintf("Variable lengths against full length - %s", title) font ",9"
    do for [p = 1:np] {
        pass = word(vlpasses, p)
        set title pass font ",8"
        set xlabel "Σlen / (N·T)"
        set ylabel "time, variable lengths / full length"
        set xrange [0:1.05]
        set yrange [0:*]
        set style data points
        if (p > 1) { unset key } else { set key }
        cl = system(sprintf("cat %s/vl_%s.list 2>/dev/null", data, pass))
        if (words(cl) == 0) { set label 1 "no data" at graph 0.5, 0.5 center; plot [0:1] [0:1] 1/0 notitle; unset label 1 } else {
        plot for [w in cl] \
            sprintf("%s/vl_%s_%s.dat", data, pass, cname(w)) \
            using 1:2:3:4 with yerrorbars title cname(w) lc rgb vcolor(cidx(w)) pt (cidx(w) % 7) + 1, \
            x title "Σlen/(N·T): no work on padding" dt 2 lc rgb "#888888" with lines, \
            1 title "padded to T" dt 3 lc rgb "#bbbbbb" with lines }
    }
    unset multiplot
}
