# compare.gp: one panel per (cell, variant), one curve per machine.
# Variables from compare.sh: dirs machines variants cells pass out style.
load style
nc = words(cells); nv = words(variants)
do for [fmt in "png pdf"] {
    if (fmt eq "png") { set terminal pngcairo noenhanced size 380 * nv + 100, 330 * nc + 60 font "Sans,11" }
    else { set terminal pdfcairo noenhanced size (1.45 * nv + 0.3)in, (1.3 * nc + 0.3)in font "Sans,7" }
    set output sprintf("%s/compare.%s", out, fmt)
    set multiplot layout nc, nv title sprintf("GFLOP/s vs H across machines (%s, 1 thread)", pass) font ",9"
    do for [c = 1:nc] { do for [v = 1:nv] {
        set title sprintf("%s, %s", word(cells, c), word(variants, v)) font ",8"
        set xlabel "hidden size H"
        set ylabel "GFLOP/s"
        set logscale x 2
        set yrange [0:*]
        if (c * v > 1) { unset key } else { set key }
        # Only the machines that measured this curve (naive, for one, has
        # no curve at the largest T and N of a quick sweep).
        hfile(m) = sprintf("%s/h_%s_%s_%s.dat", word(dirs, m), word(cells, c), pass, word(variants, v))
        ml = ""
        do for [m = 1:words(dirs)] { if (system(sprintf("test -s '%s' && echo 1", hfile(m))) eq "1") { ml = ml." ".m } }
        if (words(ml) == 0) { set label 1 "no data" at graph 0.5, 0.5 center; plot [1:2] [1:2] 1/0 notitle; unset label 1 } else {
        plot for [w in ml] hfile(int(w)) using 1:2:3:4 with yerrorlines title word(machines, int(w)) lc rgb vcolor(int(w)) pt (int(w) % 7) + 1 }
    } }
    unset multiplot
}
