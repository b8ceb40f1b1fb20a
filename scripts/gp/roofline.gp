# roofline.gp: measured GFLOP/s against arithmetic intensity (GEMM FLOPs per
# compulsory byte, bytes_min in results.csv), every point of the sweep, with
# the measured ceilings: fp32 FMA peak of all cores and of one core, the
# triad bandwidth, and the read bandwidth of each cache level and DRAM on
# all cores (rnnbench info: the ceilings of bound.h). Error bars: the
# interval of the median. Variables: peak peak_core bw bw_l1 bw_l2 bw_l3
# bw_dram (0: not measured, no line).
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
    lroof(x, b) = (b > 0 && peak > 0) ? (x * b < peak ? x * b : peak) : 1/0
    lvl = "L1 L2 L3 DRAM"
    lbw(i) = i == 1 ? bw_l1 : i == 2 ? bw_l2 : i == 3 ? bw_l3 : bw_dram
    plot roof(x) title sprintf("roof: %.0f GB/s, %.0f GFLOP/s", bw, peak) lc rgb "#444444" lw 1.5 with lines, \
         (peak_core > 0 ? peak_core : 1/0) title sprintf("1-core peak %.0f", peak_core) dt 2 lc rgb "#888888" with lines, \
         for [i = 1:4] lroof(x, lbw(i)) title (lbw(i) > 0 ? sprintf("%s read %.0f GB/s", word(lvl, i), lbw(i)) : "") \
            dt 3 lc rgb "#aaaaaa" with lines, \
         for [v = 1:words(variants)] sprintf("%s/roof_%s.dat", data, word(variants, v)) \
            using 1:2:3:4 title word(variants, v) with yerrorbars lc rgb vcolor(v) pt (v % 7) + 1
}
