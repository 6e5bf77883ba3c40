#!/usr/bin/env bash
# vplay's sound: --audio-file of files from ffmpeg (s16/s24/s32, little and big-endian, 1, 2
# and 8 channels, one track and several) equals ffmpeg's decode of the file, sample for
# sample, with ffmpeg's WAV header (fmt chunk byte for byte); --start/-n and --loop play the
# samples under the frames played; --audio-out null (alsa-lib's null PCM, no clock) plays the
# same; and the refusals (no audio track, no such device, an existing file, a symbolic link,
# a directory, the input, the --md5 file, a pipe) are one line each with exit 3 (2 for a bad
# value), leaving nothing behind.
set -u
cd "$(dirname "$0")/../.."
. tests/host/lib.sh
need_tools ffprobe ffmpeg python3
[[ -x $BIN/vplay ]] || skip_all "build first: $BIN/vplay missing"
D=${VCAP_TEST_DIR:-$TMP} # a real disk (O_DIRECT), not tmpfs
cd "$D" || exit 1
FAILED=0
VP=$BIN/vplay

one_line() { # NAME FILE: the error output is exactly one line
	check "$1: one line" 1 "$(wc -l <"$2")"
}

# mkmov NAME CODEC TRACKS...: 2 s of 25 fps video and one sound track per channel count
# given (a sine of its own frequency per track), PCM as CODEC.
mkmov() {
	local name=$1 codec=$2 in=() map=(-map 0:v) k=1
	shift 2
	for ch in "$@"; do
		in+=(-f lavfi -i "sine=frequency=$((300 * k)):sample_rate=48000")
		map+=(-map "$k:a" "-ac:a:$((k - 1))" "$ch")
		k=$((k + 1))
	done
	ffmpeg -nostdin -v error -y -f lavfi -i testsrc=size=160x120:rate=25 "${in[@]}" \
		"${map[@]}" -t 2 -c:v rawvideo -pix_fmt uyvy422 -c:a "$codec" "$name.mov"
}

# expect NAME BITS [FIRST_SAMPLE COUNT [LOOPS]]: ffmpeg's decode of every audio track, as
# little-endian PCM of BITS, the tracks' channels interleaved in track order, cut and looped.
expect() {
	local name=$1 bits=$2 n t
	n=$(ffprobe -v error -select_streams a -show_entries stream=index -of csv=p=0 "$name.mov" | wc -l)
	for ((t = 0; t < n; t++)); do
		ffmpeg -nostdin -v error -y -i "$name.mov" -map "0:a:$t" -c:a "pcm_s${bits}le" \
			-f "s${bits}le" "$name.t$t.pcm"
		ffprobe -v error -select_streams "a:$t" -show_entries stream=channels -of csv=p=0 \
			"$name.mov" >"$name.t$t.ch"
	done
	python3 - "$name" "$bits" "$n" "${3:-0}" "${4:--1}" "${5:-1}" <<'PY'
import sys
name, bits, n, first, count, loops = sys.argv[1], int(sys.argv[2]) // 8, int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
tr = [(open(f"{name}.t{t}.pcm", "rb").read(), int(open(f"{name}.t{t}.ch").read())) for t in range(n)]
ns = min(len(d) // (c * bits) for d, c in tr)
end = ns if count < 0 else min(ns, first + count)
out = bytearray()
for i in range(first, end):
    for d, c in tr:
        out += d[i * c * bits:(i + 1) * c * bits]
sys.stdout.buffer.write(bytes(out) * loops)
PY
}

# wav_data FILE: the data chunk's bytes. wav_fmt FILE: the fmt chunk's, in hex.
wav_chunk() {
	python3 - "$1" "$2" <<'PY'
import struct, sys
b = open(sys.argv[1], "rb").read()
i = 12
while i + 8 <= len(b):
    cid, size = b[i:i + 4], struct.unpack("<I", b[i + 4:i + 8])[0]
    if cid == sys.argv[2].encode():
        body = b[i + 8:i + 8 + size]
        if cid == b"fmt ":
            print(body.hex())
        else:
            sys.stdout.buffer.write(body)
        break
    i += 8 + size + (size & 1)
PY
}

# case NAME CODEC BITS TRACKS...: the WAV's samples are ffmpeg's; its fmt chunk is ffmpeg's.
audio_case() {
	local name=$1 codec=$2 bits=$3 tag
	shift 3
	mkmov "$name" "$codec" "$@" || { fail "$name: ffmpeg" "could not make the file"; return; }
	rm -f "$name.wav"
	"$VP" "$name.mov" --rate max --audio-file "$name.wav" -q 2>err.txt
	check "$name: exit" 0 $?
	if expect "$name" "$bits" | cmp -s - <(wav_chunk "$name.wav" data); then
		pass "$name: --audio-file equals ffmpeg's decode ($(wav_chunk "$name.wav" data | wc -c) bytes)"
	else
		fail "$name: --audio-file" "$(expect "$name" "$bits" | wc -c) bytes expected, $(wav_chunk "$name.wav" data | wc -c) in the WAV; $(cat err.txt)"
	fi
	# ffmpeg's own WAV of the same channels (the tracks merged when there are several)
	if [[ $# -eq 1 ]]; then
		ffmpeg -nostdin -v error -y -i "$name.mov" -map 0:a:0 -c:a "pcm_s${bits}le" "$name.ff.wav"
		check "$name: fmt chunk as ffmpeg's" "$(wav_chunk "$name.ff.wav" "fmt ")" "$(wav_chunk "$name.wav" "fmt ")"
	fi
	tag=$(wav_chunk "$name.wav" "fmt " | cut -c1-4)
	local ch=0 c
	for c in "$@"; do ch=$((ch + c)); done
	if [[ $bits -eq 16 && $ch -le 2 ]]; then
		check "$name: WAVE_FORMAT_PCM" 0100 "$tag"
	else
		check "$name: WAVE_FORMAT_EXTENSIBLE" feff "$tag"
	fi
}
audio_case s16-mono pcm_s16le 16 1
audio_case s16-stereo pcm_s16le 16 2
audio_case s16be-stereo pcm_s16be 16 2
audio_case s24-stereo pcm_s24le 24 2
audio_case s24-8ch pcm_s24le 24 8
audio_case s24be-stereo pcm_s24be 24 2
audio_case s32-stereo pcm_s32le 32 2
audio_case s32be-mono pcm_s32be 32 1
audio_case s24-pairs pcm_s24le 24 2 2 2 2
audio_case s16-mono-tracks pcm_s16le 16 1 1 1 1 1 1 1 1
audio_case s24-mixed pcm_s24le 24 2 1

# ---- sound longer than the pictures: played to its end after the last frame ----
ffmpeg -nostdin -v error -y -f lavfi -i testsrc=size=160x120:rate=25:duration=0.4 -f lavfi \
	-i sine=frequency=500:sample_rate=48000:duration=2 -map 0 -map 1 -c:v rawvideo \
	-pix_fmt uyvy422 -c:a pcm_s16le tail.mov
"$VP" tail.mov --audio-out null --audio-file tail.wav --json -q >tail.json 2>err.txt
check "tail: exit" 0 $?
check "tail: 10 frames, 2 s of sound" "10 96000" "$(json tail.json '"%s %s" % (j["frames"], j["audio"]["samples"])')"
if expect tail 16 | cmp -s - <(wav_chunk tail.wav data); then
	pass "tail: the WAV is ffmpeg's decode, the sound after the last frame included"
else
	fail "tail" "the WAV differs from ffmpeg's decode; $(cat err.txt)"
fi

# ---- --start, -n, --loop: the samples under the frames played (1920 a frame at 25 fps) ----
"$VP" s24-pairs.mov --rate max --start 10 -n 20 --loop 2 --audio-file part.wav -q 2>err.txt
check "start/loop: exit" 0 $?
if expect s24-pairs 24 19200 38400 2 | cmp -s - <(wav_chunk part.wav data); then
	pass "start/loop: frames 10-29 twice: samples 19200-57599 twice"
else
	fail "start/loop" "$(expect s24-pairs 24 19200 38400 2 | wc -c) bytes expected, $(wav_chunk part.wav data | wc -c) got; $(cat err.txt)"
fi

# ---- --audio-out null: alsa-lib's null PCM (no clock: the pictures keep theirs) ----
"$VP" s24-stereo.mov --audio-out null --audio-file both.wav --json -q >null.json 2>err.txt
check "audio-out null: exit" 0 $?
check "audio-out null: every sample" 96000 "$(json null.json 'j["audio"]["samples"]')"
check "audio-out null: no clock, pictures on theirs" "False False" "$(json null.json '"%s %s" % (j["audio"]["clock"], j["audio"]["video_follows"])')"
check "audio-out null: 50 frames in time" "50 0" "$(json null.json '"%s %s" % (j["frames"], j["late"])')"
if cmp -s <(wav_chunk s24-stereo.wav data) <(wav_chunk both.wav data); then
	pass "audio-out null: --audio-file beside it has every sample"
else
	fail "audio-out null" "the WAV beside the device differs"
fi
"$VP" s24-stereo.mov --audio-out null -o - -q 2>err.txt | cmp -s - <(ffmpeg -nostdin -v error -i s24-stereo.mov -map 0:v -c copy -f rawvideo -)
check "audio-out null with -o -: stdout is the pictures alone" 0 $?

# ---- refusals: one line, exit 3 (2 for a value), nothing created or replaced ----
refuse() { # NAME EXIT PATTERN ARGS...: vplay ARGS fails so, saying PATTERN, creating nothing
	local name=$1 want=$2 pat=$3
	shift 3
	run_listed "$VP" "$@" -q
	check "$name: exit $want" "$want" "$RC"
	one_line "$name" err.txt
	if grep -q -- "$pat" err.txt; then pass "$name: says $pat"; else fail "$name: message" "$(cat err.txt)"; fi
	check "$name: nothing created" "" "$CHANGED"
}
ffmpeg -nostdin -v error -y -f lavfi -i testsrc=size=160x120:rate=25 -t 1 -c:v rawvideo -pix_fmt uyvy422 silent.mov
refuse no-audio-track 3 "has no audio track" silent.mov --audio-out null
refuse no-audio-track-file 3 "has no audio track" silent.mov --audio-file s.wav
refuse unknown-device 3 "aplay -L" s24-stereo.mov --audio-out no-such-pcm
refuse unknown-device-wav-left 3 "aplay -L" s24-stereo.mov --audio-out no-such-pcm --audio-file t.wav
before=$(md5sum <s24-stereo.wav)
refuse existing-file 3 "use --force" s24-stereo.mov --audio-file s24-stereo.wav
check "existing-file: not replaced" "$before" "$(md5sum <s24-stereo.wav)"
ln -sf s24-stereo.wav link.wav
refuse symlink 3 "a symbolic link" s24-stereo.mov --audio-file link.wav
mkdir -p adir
refuse directory 3 "a directory" s24-stereo.mov --audio-file adir
refuse the-input 3 "the file being played" s24-stereo.mov --audio-file s24-stereo.mov
refuse same-as-md5 3 "the same file as --md5" s24-stereo.mov --audio-file m.wav --md5 m.wav
refuse same-as-o 3 "the same file as -o" s24-stereo.mov --audio-file o.raw -o o.raw
refuse pipe 3 "does not go to a pipe" s24-stereo.mov --audio-file -
refuse bad-sync 2 "measure or correct" s24-stereo.mov --audio-sync sometimes
refuse wav-removed-when-video-fails 3 "/dev/video9" s24-stereo.mov -d /dev/video9 --audio-file v.wav

# ---- SIGINT during --loop 0: the WAV is finished (sizes in its header) with the sound of the
# frames that went out (and of the one going out), as --md5 lists frames ----
"$VP" s16-stereo.mov --loop 0 --audio-file int.wav -q --json >int.json 2>err.txt &
pid=$!
sleep 2.5
kill -INT $pid
wait $pid
check "sigint: exit 0 (--loop 0)" 0 $?
n=$(wav_chunk int.wav data | wc -c)
if [[ $n -gt 192000 && $((n % 4)) -eq 0 ]] && expect s16-stereo 16 0 -1 3 | head -c "$n" | cmp -s - <(wav_chunk int.wav data); then
	pass "sigint: the WAV holds the looped sound up to the stop ($n bytes, its header's size)"
else
	fail "sigint" "$n bytes; $(cat err.txt)"
fi
check "sigint: the sound of the frames played, up to one more" True \
	"$(json int.json '0 <= j["audio"]["samples"] - 1920 * j["frames"] <= 1920 and j["audio"]["samples"] * 4 == '"$n")"
check "sigint: ffprobe reads it" pcm_s16le "$(ffprobe -v error -show_entries stream=codec_name -of csv=p=0 int.wav)"

"$VP" s24-stereo.mov --rate max --audio-file s24-stereo.wav --force -q 2>err.txt
check "existing-file with --force: replaced" 0 $?
"$VP" s24-stereo.mov --rate max --audio-file /dev/null -q 2>err.txt
check "audio-file /dev/null: written as it is" "0 " "$? $(cat err.txt)"
mkfifo wav.fifo
cat wav.fifo >fromfifo.wav &
"$VP" s24-stereo.mov --rate max --audio-file wav.fifo -q 2>err.txt
check "audio-file fifo: exit" "0 " "$? $(cat err.txt)"
wait
if ffmpeg -nostdin -v error -i fromfifo.wav -f s24le - | cmp -s - <(expect s24-stereo 24); then
	pass "audio-file fifo: a WAV whose reader gets every sample (sizes left open)"
else
	fail "audio-file fifo" "ffmpeg reads other samples from it"
fi

exit $FAILED
