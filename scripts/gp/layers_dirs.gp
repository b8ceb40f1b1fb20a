# layers_dirs.gp: time per token (median / tokens, tokens = the real steps)
# against the number of stacked layers, one panel per direction mode
# (columns) and cell and pass (rows), one curve per variant. A layer adds
# its own work, so a curve that grows linearly in L is the expected shape;
# bi_concat and bi_sum do twice the work of l2r per layer. Log scale:
# naive and the fast variants are some 50x apart. Error bars: the interval
# of the median (ci_lo_ms..ci_hi_ms) over the tokens.
load style
nc = words(laycells); np = words(laypasses); nd = words(laydirs)
nr = nc * np
do for [fmt in "png pdf"] {
    if (fmt eq "png") { set terminal pngcairo noenhanced size 480 * nd + 100, 380 * nr + 60 font "Sans,11" }
    else { set terminal pdfcairo noenhanced size 7.16in, (1.5 * nr + 0.3)in font "Sans,7" }
    set output sprintf("%s/layers_dirs.%s", out, fmt)
    set multiplot layout nr, nd title sprintf("Time per token against layers and direction mode (%s) - %s", shape, title) font ",9"
    do for [r = 1:nr] { do for [d = 1:nd] {
        cell = word(laycells, (r - 1) / np + 1); pass = word(laypasses, (r - 1) % np + 1); dir = word(laydirs, d)
        set title sprintf("%s, %s, %s", cell, pass, dir) font ",8"
        set xlabel "layers L"
        set ylabel "microseconds per token"
        set xrange [0.5:*]
        set xtics 1
        set logscale y
        if (r * d > 1) { unset key } else { set key }
        cl = system(sprintf("cat %s/lay_%s_%s_%s.list 2>/dev/null", data, cell, pass, dir))
        if (words(cl) == 0) { set label 1 "no data" at graph 0.5, 0.5 center; plot [1:2] [1:2] 1/0 notitle; unset label 1 } else {
        plot for [w in cl] \
            sprintf("%s/lay_%s_%s_%s_%s.dat", data, cell, pass, dir, cname(w)) \
            using 1:2:3:4 with yerrorlines title cname(w) lc rgb vcolor(cidx(w)) pt (cidx(w) % 7) + 1 }
    } }
    unset multiplot
}
