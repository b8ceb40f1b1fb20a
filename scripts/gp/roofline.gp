# roofline.gp: measured GFLOP/s against arithmetic intensity (GEMM FLOPs per
# compulsory byte, bytes_min in results.csv), every point of the sweep, with
# the measured ceilings: fp32 FMA peak of all cores and of one core, and
# the triad bandwidth (rnnbench info). Variables: peak peak_core bw.
load style
do for [fmt in "png pdf"] {
    if (fmt eq "png") { set terminal pngcairo noenhanced size 1000, 700 font "Sans,11" }
    else { set terminal pdfcairo noenhanced size 3.4in, 2.5in font "Sans,7" }
    set output sprintf("%s/roofline.%s", out, fmt)
    set title sprintf("Roofline - %s", title) font ",8"
    set logscale xy
    set xrange [0.25:*]
    set xlabel "arithmetic intensity (FLOP / compulsory byte)"
    set ylabel "GFLOP/s"
    set key bottom right
    roof(x) = (bw > 0 && peak > 0) ? (x * bw < peak ? x * bw : peak) : 1/0
    plot roof(x) title sprintf("roof: %.0f GB/s, %.0f GFLOP/s", bw, peak) lc rgb "#444444" lw 1.5 with lines, \
         (peak_core > 0 ? peak_core : 1/0) title sprintf("1-core peak %.0f", peak_core) dt 2 lc rgb "#888888" with lines, \
         for [v = 1:words(variants)] sprintf("%s/roof_%s.dat", data, word(variants, v)) \
            using 1:2 title word(variants, v) with points lc rgb vcolor(v) pt (v % 7) + 1
}
