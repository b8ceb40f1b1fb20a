# lib-results.sh: shared by plots.sh and compare.sh (sourced, not run).
# read_meta DIR: META_HOST META_CPU META_DATE META_PEAK_CORE META_PEAK_ALL
# META_BW from DIR/meta.json (the first occurrence of each key; "null"
# becomes 0 so gnuplot skips the ceiling).
json_value() { # FILE KEY
    grep -o "\"$2\"[[:space:]]*:[[:space:]]*\(\"[^\"]*\"\|[-0-9.eE+]*\|null\)" "$1" | head -1 |
        sed 's/^[^:]*:[[:space:]]*//; s/^"//; s/"$//; s/^null$//'
}
read_meta() {
    local m="$1/meta.json"
    META_HOST=$(json_value "$m" hostname 2>/dev/null || true)
    META_CPU=$(json_value "$m" cpu_model 2>/dev/null || true)
    META_DATE=$(json_value "$m" date 2>/dev/null || true)
    META_PEAK_CORE=$(json_value "$m" peak_gflops_core 2>/dev/null || true)
    META_PEAK_ALL=$(json_value "$m" peak_gflops_all 2>/dev/null || true)
    META_BW=$(json_value "$m" bandwidth_gbs 2>/dev/null || true)
    : "${META_HOST:=$(basename "$1")}" "${META_CPU:=unknown CPU}" "${META_DATE:=unknown date}"
    : "${META_PEAK_CORE:=0}" "${META_PEAK_ALL:=0}" "${META_BW:=0}"
    META_CPU=${META_CPU//\'/}
}

# read_levels DIR: META_BW_L1 META_BW_L2 META_BW_L3 META_BW_DRAM, the
# all-core read bandwidth of each level (rnnbench info, meta.json
# read_bandwidth_gbs; 0 when absent: gnuplot skips the ceiling).
read_levels() {
    local flat l v
    flat=$(tr -d '\n \t' < "$1/meta.json" 2>/dev/null || true)
    for l in l1 l2 l3 dram; do
        v=$(grep -o "\"$l\":{[^}]*}" <<<"$flat" | head -1 | grep -o '"all":[-0-9.eE+]*' | cut -d: -f2 || true)
        printf -v "META_BW_${l^^}" '%s' "${v:-0}"
    done
}

# csv_tsv CSV: the file with tabs between fields, quotes removed ("" read
# as "): the binding column is quoted and holds commas, and the columns
# after it (the interval, the bound) must still split right.
csv_tsv() {
    awk '{
        out = ""; q = 0; n = length($0)
        for (i = 1; i <= n; i++) {
            ch = substr($0, i, 1)
            if (q) {
                if (ch == "\"") { if (substr($0, i + 1, 1) == "\"") { out = out ch; i++ } else q = 0 }
                else out = out (ch == "\t" ? " " : ch)
            } else if (ch == "\"") q = 1
            else if (ch == ",") out = out "\t"
            else out = out (ch == "\t" ? " " : ch)
        }
        print out
    }' "$1"
}

# split_results CSV OUTDIR: one "x y ylow yhigh" table per curve (y with
# the interval of its median, ci_lo_ms..ci_hi_ms, carried over; a file
# without those columns gets ylow = yhigh = y). Fixed shapes are the
# largest measured (T, N) for the curves over H, the largest H for the curves
# over T and threads; rows whose status is not "ok" are left out. Those
# figures are of one layer, l2r, full length; the network rows (layers,
# dir, lengths, tokens: columns a file of before them lacks) go to two
# figures of their own:
#   lay_CELL_PASS_DIR_VARIANT.dat  layers, microseconds per token, at the
#       network shape with the most points (shape_lay.txt), full length,
#       each variant at its largest team there;
#   vl_PASS_VARIANT.dat  sum(len)/(N*T), time(random lengths)/time(full)
#       and a label, one line per pair of rows that differ in lengths alone.
split_results() {
    csv_tsv "$1" | awk -F'\t' -v out="$2" '
    NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
    {
        if ($c["status"] != "ok") next
        # the network columns by name (csv_tsv splits the quoted binding
        # right); a file of before them: one layer, l2r, full length
        L1 = ("layers" in c) ? $c["layers"] + 0 : 1
        D1 = ("dir" in c) ? $c["dir"] : "l2r"
        E1 = ("lengths" in c) ? $c["lengths"] : "full"
        K1 = ("tokens" in c) ? $c["tokens"] + 0 : $c["T"] * $c["N"]
        # the interval of the median time (none measured: the median itself)
        md = $c["median_ms"] + 0
        lo = ("ci_lo_ms" in c) ? $c["ci_lo_ms"] + 0 : 0; hi = ("ci_hi_ms" in c) ? $c["ci_hi_ms"] + 0 : 0
        if (!(lo > 0 && hi >= lo)) { lo = md; hi = md }
        if (L1 != 1 || D1 != "l2r" || E1 != "full") net = 1; else net = 0
        # every row, for the network figures (a full-length or one-layer
        # partner may come before the rows it pairs with)
        {
            m++; NV[m] = $c["variant"]; NC[m] = $c["cell"]; NS[m] = $c["pass"]; NK[m] = $c["threads"] + 0
            NSH[m] = $c["T"] " " $c["N"] " " $c["H"] " " $c["I"]
            NL[m] = L1; ND[m] = D1; NE[m] = E1; NTOK[m] = K1; NMS[m] = md; NLO[m] = lo; NHI[m] = hi
            NTN[m] = $c["T"] * $c["N"]
            if (E1 == "full" && (L1 != 1 || D1 != "l2r")) shapecount[NSH[m]]++
            vars[NV[m]] = 1
        }
        if (net || E1 != "full") next
        n++; V[n] = $c["variant"]; P[n] = $c["parallel"]; C[n] = $c["cell"]; S[n] = $c["pass"]
        T[n] = $c["T"] + 0; N[n] = $c["N"] + 0; H[n] = $c["H"] + 0; K[n] = $c["threads"] + 0
        G[n] = $c["gflops"]; MS[n] = $c["median_ms"]; ST[n] = $c["ms_per_step"]
        PP[n] = $c["pct_peak"]; AI[n] = $c["arith_intensity"]
        # the interval of the median time; a rate scales by median / time
        LO[n] = lo; HI[n] = hi; RL[n] = (hi > 0 ? md / hi : 1); RH[n] = (lo > 0 ? md / lo : 1)
        vars[V[n]] = 1; cells[C[n]] = 1; passes[S[n]] = 1
        if (P[n] ~ /^omp|library/) pvars[V[n]] = 1
        if (T[n] > maxT) maxT = T[n]; if (N[n] > maxN) maxN = N[n]; if (H[n] > maxH) maxH = H[n]
        if (K[n] > maxK) maxK = K[n]
    }
    END {
        for (i = 1; i <= n; i++) {
            tag = C[i] "_" S[i] "_" V[i]
            if (T[i] == maxT && N[i] == maxN && K[i] == 1) {
                print H[i], G[i], G[i] * RL[i], G[i] * RH[i] > (out "/h_" tag ".dat")
                if (PP[i] != "") print H[i], PP[i], PP[i] * RL[i], PP[i] * RH[i] > (out "/peak_" tag ".dat")
                else print H[i] > (out "/peak_" tag ".dat") # not measured: no point
            }
            if (N[i] == maxN && H[i] == maxH && K[i] == 1)
                print T[i], ST[i], LO[i] / T[i], HI[i] / T[i] > (out "/t_" tag ".dat")
            if (T[i] == maxT && N[i] == maxN && H[i] == maxH) print K[i], MS[i], LO[i], HI[i] > (out "/k_" tag ".dat")
            print AI[i], G[i], G[i] * RL[i], G[i] * RH[i] > (out "/roof_" V[i] ".dat")
        }
        for (v in vars) vl = vl " " v; for (v in pvars) pl = pl " " v
        for (x in cells) cl = cl " " x; for (x in passes) pa = pa " " x
        print vl > (out "/variants.txt"); print pl > (out "/parallel_variants.txt")
        print cl > (out "/cells.txt"); print pa > (out "/passes.txt")
        printf "T=%d N=%d, 1 thread\n", maxT, maxN > (out "/shape_h.txt")
        printf "T=%d N=%d, 1 thread\n", maxT, maxN > (out "/shape_peak.txt")
        printf "N=%d H=%d, 1 thread\n", maxN, maxH > (out "/shape_t.txt")
        printf "T=%d N=%d H=%d\n", maxT, maxN, maxH > (out "/shape_threads.txt")
        # time per token against layers and direction mode
        best = ""
        for (sh in shapecount) if (best == "" || shapecount[sh] > shapecount[best]) best = sh
        for (i = 1; i <= m; i++) {
            if (NSH[i] != best || NE[i] != "full") continue
            k = NC[i] SUBSEP NS[i] SUBSEP ND[i] SUBSEP NV[i] SUBSEP NL[i]
            if (!(k in bestk) || NK[i] > bestk[k]) {
                bestk[k] = NK[i]; bestus[k] = 1000 * NMS[i] / NTOK[i]
                bestlo[k] = 1000 * NLO[i] / NTOK[i]; besthi[k] = 1000 * NHI[i] / NTOK[i]
            }
        }
        for (k in bestk) {
            split(k, f, SUBSEP)
            print f[5], bestus[k], bestlo[k], besthi[k] > (out "/lay_" f[1] "_" f[2] "_" f[3] "_" f[4] ".dat")
            laycells[f[1]] = 1; laypasses[f[2]] = 1; laydirs[f[3]] = 1
        }
        split(best, b, " ")
        if (best != "") printf "T=%d N=%d H=%d I=%d, full length, each variant at its largest team\n", b[1], b[2], b[3], b[4] > (out "/shape_lay.txt")
        for (x in laycells) lc = lc " " x; for (x in laypasses) lp = lp " " x; for (x in laydirs) ld = ld " " x
        print lc > (out "/lay_cells.txt"); print lp > (out "/lay_passes.txt"); print ld > (out "/lay_dirs.txt")
        # variable lengths against full length: pairs that differ in lengths alone
        for (i = 1; i <= m; i++)
            if (NE[i] == "full") full[NV[i] SUBSEP NC[i] SUBSEP NS[i] SUBSEP NSH[i] SUBSEP NL[i] SUBSEP ND[i] SUBSEP NK[i]] = i
        for (i = 1; i <= m; i++) {
            if (NE[i] == "full") continue
            k = NV[i] SUBSEP NC[i] SUBSEP NS[i] SUBSEP NSH[i] SUBSEP NL[i] SUBSEP ND[i] SUBSEP NK[i]
            if (!(k in full)) continue
            j = full[k]
            # the ratio with the interval from the extreme combinations of both
            printf "%.6g %.6g %.6g %.6g %s/L%d/%s/%s/t%d\n", NTOK[i] / NTN[i], NMS[i] / NMS[j], NLO[i] / NHI[j], \
                NHI[i] / NLO[j], NC[i], NL[i], ND[i], NE[i], NK[i] \
                > (out "/vl_" NS[i] "_" NV[i] ".dat")
            vlpasses[NS[i]] = 1
        }
        for (x in vlpasses) vp = vp " " x
        print vp > (out "/vl_passes.txt")
    }'
    # Each curve sorted by x; speedup files need threads ascending.
    # (if, not &&: a loop whose last test is false returns 1, and under
    # set -e that stopped plots.sh without a word.)
    for f in "$2"/*.dat; do
        if [ -e "$f" ]; then sort -g -o "$f" "$f"; fi
    done
    # Sort the name lists so figures are stable from run to run.
    for f in variants parallel_variants cells passes lay_cells lay_passes lay_dirs vl_passes; do
        tr ' ' '\n' < "$2/$f.txt" | sed '/^$/d' | sort | tr '\n' ' ' > "$2/$f.tmp"; mv "$2/$f.tmp" "$2/$f.txt"
    done
    # Per panel, the curves that exist, as name:index where index is the
    # variant's place in variants.txt (its colour in every figure): a panel
    # then plots only what was measured. A scaling curve (k_) needs its
    # 1-thread point, the base of the speedup.
    local prefix cell pass dir
    # the network figures: colours from variants.txt as everywhere
    for cell in $(cat "$2/lay_cells.txt"); do
        for pass in $(cat "$2/lay_passes.txt"); do
            for dir in $(cat "$2/lay_dirs.txt"); do
                curve_list "$2" "lay_${cell}_${pass}_${dir}"
            done
        done
    done
    for pass in $(cat "$2/vl_passes.txt"); do
        curve_list "$2" "vl_${pass}"
    done
    for prefix in h peak t k; do
        for cell in $(cat "$2/cells.txt"); do
            for pass in $(cat "$2/passes.txt"); do
                curve_list "$2" "${prefix}_${cell}_${pass}" "$([ "$prefix" = k ] && echo speedup)"
            done
        done
    done
}

# curve_list DIR PANEL [speedup]: DIR/PANEL.list = the variants with a
# curve DIR/PANEL_<variant>.dat, as name:index (index: the variant's place
# in DIR/variants.txt, its colour in every figure). A speedup curve also
# needs its 1-thread point (its first x is 1), the base of the speedup.
curve_list() {
    local i=0 v f
    for v in $(cat "$1/variants.txt"); do
        i=$((i + 1))
        f="$1/${2}_$v.dat"
        [ -s "$f" ] || continue
        if [ "${3:-}" = speedup ] && [ "$(awk 'NR == 1 { print $1 + 0 }' "$f")" != 1 ]; then continue; fi
        printf '%s:%d ' "$v" "$i"
    done > "$1/$2.list"
}
