# scaling.gp: speedup over 1 thread and parallel efficiency against the
# thread count, for the parallel variants, with the ideal line. One column
# per cell; top row speedup, bottom row efficiency; first pass listed.
# Error bars: the extreme combinations of the two intervals of the medians
# (1-thread time low over this time high, and high over low), so an
# efficiency above 1 whose bar reaches 1 is not told from noise.
load style
nc = words(cells)
pass = word(passes, 1)
do for [fmt in "png pdf"] {
    if (fmt eq "png") { set terminal pngcairo noenhanced size 1900, 900 font "Sans,11" }
    else { set terminal pdfcairo noenhanced size 7.16in, 3.4in font "Sans,7" }
    set output sprintf("%s/scaling.%s", out, fmt)
    set multiplot layout 2, nc title sprintf("Thread scaling, %s (%s) - %s", pass, shape, title) font ",9"
    do for [row = 1:2] { do for [c = 1:nc] {
        set title word(cells, c) font ",8"
        set xlabel "threads"
        set ylabel (row == 1 ? "speedup over 1 thread" : "parallel efficiency")
        set xrange [0.8:*]
        set xtics 1
        set yrange [0:*]
        if (row * c > 1) { unset key } else { set key }
        # t1: the 1-thread time of the file, read by stats.
        # Only the parallel variants measured in this panel.
        cl = ""
        do for [w in curves("k", word(cells, c), pass)] { if (strstrt(" ".pvariants." ", " ".cname(w)." ") > 0) { cl = cl." ".w } }
        # (split_results lists only curves that start at 1 thread.)
        if (words(cl) == 0) { set label 1 "no data" at graph 0.5, 0.5 center; plot [1:2] [1:2] 1/0 notitle; unset label 1 } else {
        plot for [w in cl] \
            sprintf("%s/k_%s_%s_%s.dat", data, word(cells, c), pass, cname(w)) \
            using 1:(t1 = (column(1) == 1 ? column(2) : t1), t1l = (column(1) == 1 ? column(3) : t1l), \
                     t1h = (column(1) == 1 ? column(4) : t1h), \
                     row == 1 ? t1 / column(2) : t1 / column(2) / column(1)) \
                  :(row == 1 ? t1l / column(4) : t1l / column(4) / column(1)) \
                  :(row == 1 ? t1h / column(3) : t1h / column(3) / column(1)) \
            with yerrorlines title cname(w) lc rgb vcolor(cidx(w)) pt (cidx(w) % 7) + 1, \
            (row == 1 ? x : 1) title "ideal" dt 2 lc rgb "#888888" with lines }
    } }
    unset multiplot
}
