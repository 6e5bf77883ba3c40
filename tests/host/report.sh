#!/usr/bin/env bash
# vmov report: a recording with drops, timecode breaks and flagged frames gives a report whose
# data (--json) has exactly the log's drops, breaks and flags at their frame numbers and
# vcap's own, a batch per write, md5s checked; its signal statistics equal ffmpeg's signalstats
# for every frame; the HTML page is self-contained and headless Chromium draws it (a
# screenshot); the output is never replaced without --force nor written through a link, never
# the recording or its log; files of other tools and logs without batch lines get a report too.
set -u
cd "$(dirname "$0")/../.."
. tests/host/lib.sh
need_tools ffmpeg python3
VCAP=$BIN/vcap VMOV=$BIN/vmov
[[ -x $VCAP && -x $VMOV ]] || skip_all "build first: $VCAP or $VMOV missing"
[[ -r /usr/share/javascript/dygraphs/dygraph.min.js ]] || skip_all "libjs-dygraphs missing (make deps)"
FAILED=0
D=${VCAP_TEST_DIR:-$TMP} # a real disk (O_DIRECT), not tmpfs
CASES=$PWD/tests/host/mov-cases.py
cd "$D" || exit 1

# 1. The recording (README's acceptance: drops every 50, a timecode break every 120 frames).
"$VCAP" --source pattern --size 320x240 --rate 25 -q -n 600 --md5 a.md5 --json -o a.mov \
	--pattern timecode=01:00:00:00,drop-every=50,tc-jump-every=120,error-every=97 >a.vcap.json \
	2>vcap.err
check vcap-exit 0 $?
"$VMOV" report a.mov --json -o a.json 2>err
check json-exit 0 $?

# 2. Events: the log's, at their frame numbers, and vcap's summary says the same (drops
# every 50 frames, breaks every 120, a flagged frame every 97).
check flagged-counted 6 "$(json a.json 'len(j["event_frames"]["flagged"])')"
log_frames() { awk -v w="$1" '/^[0-9]/ && $11 ~ w { printf "%s%s", s, $1; s = " " }' a.mov.vcj; }
check drops-as-log "$(log_frames 'lost=')" "$(json a.json '" ".join(map(str, j["event_frames"]["drop"]))')"
check breaks-as-log "$(log_frames 'tc-break')" \
	"$(json a.json '" ".join(map(str, j["event_frames"]["tc-break"]))')"
check drops-as-vcap "$(json a.vcap.json '[d["before_frame"] for d in j["drop_list"]]')" \
	"$(json a.json 'j["event_frames"]["drop"]')"
check breaks-as-vcap "$(json a.vcap.json 'j["device_timecode"]["break_frames"]')" \
	"$(json a.json 'j["event_frames"]["tc-break"]')"
check flagged-as-vcap "$(json a.vcap.json 'j["flagged_frames"]')" \
	"$(json a.json 'j["event_frames"]["flagged"]')"
check drops-counted "12 4" "$(json a.json 'len(j["event_frames"]["drop"]), len(j["event_frames"]["tc-break"])' | tr -d '(),')"
check drop-detail "1 1 False" \
	"$(json a.json '" ".join(str(e[k]) for e in j["events"] if e["kind"] == "drop" for k in ("count", "fields", "starved"))' | cut -d' ' -f1-3)"
# each drop's sequence is its first lost one, as vcap says it (the report gave the frame's after
# the gap); the log has that frame's sequence less the count lost
check drop-sequences-as-vcap "$(json a.vcap.json '[d["sequence"] for d in j["drop_list"]]')" \
	"$(json a.json '[e["sequence"] for e in j["events"] if e["kind"] == "drop"]')"
check drop-sequence-as-log "$(awk '/^49 / { print $5 - 1 }' a.mov.vcj)" \
	"$(json a.json '[e["sequence"] for e in j["events"] if e["kind"] == "drop"][0]')"
# a log with its end line is durable to its last frame (the report said 592 of 600)
check complete-log-all-durable "600 600" "$(json a.json '"%d %d" % (j["log"]["frames"], j["log"]["synced"])')"

# 3. Batches: one per write line of the log, covering every frame; md5s checked against it.
check batches-as-log "$(grep -c '^batch ' a.mov.vcj)" "$(json a.json 'j["batches"]["count"]')"
check batches-cover-frames 600 "$(json a.json 'sum(j["batches"]["frames"])')"
check batch-fill-in-range 1 "$(json a.json 'int(all(0 < h <= j["batches"]["slots"] for h in j["batches"]["held"]))')"
check batch-latency-positive 1 "$(json a.json 'int(all(x > 0 for x in j["batches"]["latency_ms"]))')"
check md5-checked "600 0" "$(json a.json '"%d %d" % (j["md5"]["checked"], j["md5"]["mismatches"])')"
check header "UYVY progressive 01:00:00:00 True" \
	"$(json a.json '" ".join(map(str, (j["info"]["format"], j["info"]["field"], j["info"]["timecode"], j["log"]["complete"])))')"

# 4. Signal statistics: ffmpeg's signalstats of every frame, value for value.
ffmpeg -nostdin -v error -threads 1 -filter_threads 1 -i a.mov -map 0:v \
	-vf signalstats=stat=tout+vrep+brng,metadata=print:file=ff.txt -f null - 2>/dev/null
check ffmpeg-signalstats 0 $?
stats=$(python3 - a.json ff.txt <<'EOF'
import json, re, sys
j = json.load(open(sys.argv[1]))["per_frame"]
frames, cur = [], None
for line in open(sys.argv[2]):
    m = re.match(r"frame:(\d+)", line)
    if m:
        cur = {}
        frames.append(cur)
    m = re.match(r"lavfi\.signalstats\.(\w+)=(\S+)", line)
    if m and cur is not None:
        cur[m.group(1)] = float(m.group(2))
n = bad = 0
for i, f in enumerate(frames):
    for k, v in f.items():
        if k in j:
            n += 1
            bad += j[k][i] != v
print(len(frames), len(j["t"]), n > 0 and bad == 0, sorted(k for k in frames[0] if k in j) if frames else [])
EOF
)
check stats-equal-ffmpeg "600 600 True ['BRNG', 'HUEAVG', 'SATAVG', 'SATMAX', 'SATMIN', 'TOUT', 'UAVG', 'VAVG', 'VREP', 'YAVG', 'YDIF', 'YHIGH', 'YLOW', 'YMAX', 'YMIN']" "$stats"
check fields-mse 1 "$(json a.json 'int(all(v is not None for v in j["per_frame"]["MSEfY"]))')"

"$VMOV" report a.mov --no-stats --json -o quick.json 2>/dev/null
check no-stats "0 False 0 $(json a.json 'j["event_frames"]["drop"]')" \
	"$? $(json quick.json 'j["stats"]') $(json quick.json 'j["md5"]["checked"]') $(json quick.json 'j["event_frames"]["drop"]')"

# 5. The page: self-contained, made once, drawn by headless Chromium.
"$VMOV" report a.mov -o a.html 2>err
check html-exit 0 $?
check html-says "vmov: wrote a.html: 600 frames, 22 events" "$(cut -d, -f1-2 err)"
check html-self-contained "0 0 1" "$(grep -c '<script src\|<link ' a.html) $(grep -c '<img [^>]*src="http' a.html) $(grep -c "default-src 'none'" a.html)"
check html-thumbnails 1 "$(($(grep -o 'src="data:image/png;base64,' a.html | wc -l) >= 10))"
"$VMOV" report a.mov -o a.html 2>err
check html-exists-refused 3 $?
check html-exists-says 1 "$(grep -c 'creating a.html: File exists (use --force' err)"
"$VMOV" report a.mov -o a.html --force 2>/dev/null
check html-force 0 $?
if command -v chromium >/dev/null; then
	mkdir -p chr
	flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run
		--disable-background-networking --disable-component-update --disable-sync
		--user-data-dir="$PWD/chr" --window-size=1280,3200)
	timeout 120 chromium "${flags[@]}" --screenshot="$PWD/shot.png" "file://$PWD/a.html" \
		>/dev/null 2>&1
	check chromium-screenshot 1 "$(($(stat -c %s shot.png 2>/dev/null || echo 0) > 50000))"
	timeout 120 chromium "${flags[@]}" --dump-dom "file://$PWD/a.html" >dom.html 2>/dev/null
	# every plot with data is a dygraph (its canvases); the audio one has none: no sound
	check chromium-plots-drawn 7 "$(grep -o 'class="dygraph-legend"' dom.html | wc -l)"
	check chromium-header-filled 1 "$(grep -c '600 of 600 frames match the log' dom.html)"
	[[ -n ${REPORT_SHOT:-} ]] && cp shot.png "$REPORT_SHOT"
else
	echo "SKIP: chromium-screenshot: chromium missing (make deps)"
fi

# a log's text never becomes the page's markup (a label is data: escaped, or left out)
cp a.mov h.mov && awk '$1 == "0" || $1 == "49" { $9 = "<script>alert(1)</script>" } { print }' \
	a.mov.vcj >h.mov.vcj
"$VMOV" report h.mov -o h.html 2>/dev/null
check hostile-log-escaped "0 0 1" \
	"$? $(grep -c '<script>alert' h.html) $(grep -c 'u003cscript\\u003ealert' h.html)"

# 6. Never through a link, never the recording or its log.
ln -s victim.html link.html
"$VMOV" report a.mov -o link.html 2>/dev/null
check link-refused 3 $?
"$VMOV" report a.mov -o link.html --force 2>/dev/null
check link-force "0 regular no-victim" \
	"$? $([[ -L link.html ]] && echo link || echo regular) $([[ -e victim.html ]] && echo victim || echo no-victim)"
sum=$(md5sum <a.mov)
"$VMOV" report a.mov -o a.mov --force 2>err
check out-is-recording 3 $?
"$VMOV" report a.mov -o a.mov.vcj --force --json 2>/dev/null >/dev/null
check out-is-log 3 $?
check recording-intact "$sum" "$(md5sum <a.mov)"
check log-intact 1 "$(grep -c '^end ' a.mov.vcj)"
"$VMOV" report nothing.mov --json >out 2>/dev/null
check missing-file 3 $?

# 7. A log from before batch lines (and recover, which ignores them); a file of another tool.
cp a.mov old.mov && grep -v '^batch ' a.mov.vcj >old.mov.vcj
"$VMOV" report old.mov --json -o old.json 2>/dev/null
check old-log "0 0 12" "$? $(json old.json 'j["batches"]["count"]') $(json old.json 'len(j["event_frames"]["drop"])')"
ffmpeg -nostdin -v error -threads 1 -f lavfi -i testsrc=size=64x48:rate=25 -t 3 -c:v rawvideo \
	-pix_fmt uyvy422 -tag:v 2vuy -timecode 10:00:00:00 other.mov
"$VMOV" report other.mov --json -o other.json 2>/dev/null
check other-tool "0 False 0 75" "$? $(json other.json 'j["log"]["present"]') $(json other.json 'len(j["events"])') $(json other.json 'len([v for v in j["per_frame"]["YAVG"] if v is not None])')"
"$VMOV" report other.mov -o other.html 2>err
check other-tool-html-says 1 "$(grep -c 'no capture log: no capture panels' err)"
# without a log, the timecode track's breaks (a second tmcd sample), not the drops' gaps
"$CASES" tmcd-break tb.mov >/dev/null 2>&1
"$VMOV" report tb.mov --json -o tb.json 2>/dev/null
check track-break "0 [5]" "$? $(json tb.json 'j["event_frames"]["tc-break"]')"
cp a.mov nolog.mov
"$VMOV" report nolog.mov --json -o nolog.json 2>/dev/null
check no-log-drops-no-breaks "0 0" "$? $(json nolog.json 'len(j["events"])')"

# 8. A killed recording, recovered: the report reads the log vmov recover finished.
"$VCAP" --source pattern --size 64x48 --rate 50 -q -n 400 --pattern drop-every=30 -o k.mov 2>/dev/null &
pid=$!
for _ in $(seq 100); do
	n=$(grep -c '^[0-9]' k.mov.vcj 2>/dev/null)
	((${n:-0} >= 80)) && break
	sleep 0.1
done
kill -9 $pid
wait $pid 2>/dev/null
sleep 1
"$VMOV" recover k.mov >/dev/null 2>&1
check killed-recovered 0 $?
"$VMOV" report k.mov --json -o k.json 2>/dev/null
check killed-report "0 True True" "$? $(json k.json 'j["log"]["recovered"]') $(json k.json 'j["event_frames"]["drop"] == [i for i in range(29, j["info"]["frames"], 29)]')"

exit $FAILED
