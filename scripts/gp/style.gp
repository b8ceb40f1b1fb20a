# style.gp: shared look of every figure: sized for a two-column paper
# (a full-width figure* is about 7 in), 8 pt sans, one colour and point
# type per variant wherever it appears.
set encoding utf8
set grid lc rgb "#dddddd" lw 0.5
set border lw 0.8
set key top left font ",7" spacing 0.9 samplen 2 noopaque
set tics font ",7" nomirror
set style data linespoints
set pointsize 0.6
# A stable colour per variant name, so the same variant looks the same in
# every panel and figure.
palette_colors = "#1f77b4 #d62728 #2ca02c #ff7f0e #9467bd #8c564b #e377c2 #17becf #7f7f7f #bcbd22 #000000 #aec7e8"
vcolor(i) = word(palette_colors, (i - 1) % 12 + 1)
# A panel's curves come as "name:index" words (see lib-results.sh).
cname(w) = w[1:strstrt(w, ":") - 1]
cidx(w) = int(w[strstrt(w, ":") + 1:])
curves(prefix, cell, pass) = system(sprintf("cat %s/%s_%s_%s.list 2>/dev/null", data, prefix, cell, pass))
# A panel without curves says "no data" and plots 1/0 over fixed ranges
# given in the plot command (temporary, valid under log scales): autoscaled,
# an empty plot is a gnuplot error that would stop the whole figure.
# begin_figure(name, width_in, height_in) is done by each script with:
#   do for [fmt in "png pdf"] { set terminal ...; set output ... }
