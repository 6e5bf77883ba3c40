#!/usr/bin/env bash
# Sound with the picture (vcap --audio): the pattern source's tone with a full-scale marker at
# the first sample of every frame, recorded at 29.97 and 25 fps, 16/24/32 bits, 1 to 8
# channels as one track, stereo pairs or mono tracks. ffprobe, ffmpeg and mediainfo read every
# variant; the sample count is exactly the frames' share (8008 per 5 frames at 29.97, 1920 per
# frame at 25); every marker is on its frame's first sample; the chunks sit on the unit in
# the batches' writes; a lost frame keeps its sound; kill -9 and vmov recover give back both
# tracks; bad audio options are refused before anything is created.
set -u
cd "$(dirname "$0")/../.."
. tests/host/lib.sh
need_tools ffmpeg ffprobe mediainfo python3
VCAP=$BIN/vcap VMOV=$BIN/vmov
[[ -x $VCAP && -x $VMOV ]] || skip_all "build first: $VCAP missing"
FAILED=0
MARK=$PWD/tests/host/audio-markers.py
D=${VCAP_TEST_DIR:-$TMP}
cd "$D" || exit 1
# a slot for every frame: a slow moment of a loaded disk cannot starve the pattern source
# into dropping a frame (whose sound would be kept: more samples than the count asks)
B=(--buffers 320)

# samples_at K NUM DEN: the samples before frame K at 48 kHz (round half up).
samples_at() { echo $(((2 * $1 * 48000 * $3 + $2) / (2 * $2))); }

# probe FILE ENTRIES: one "a|b|c" line per audio stream.
probe() { ffprobe -v error -select_streams a -show_entries "stream=$2" -of compact=p=0:nk=1 "$1"; }

# markers NAME FILE STREAM BITS CHANNELS NUM DEN FRAMES: decode one audio stream and check
# the markers and the count.
markers() {
	local name=$1 f=$2 s=$3 bits=$4 ch=$5 num=$6 den=$7 n=$8 out
	ffmpeg -nostdin -v error -y -i "$f" -map "0:a:$s" -c:a "pcm_s${bits}le" -f "s${bits}le" a.raw
	if out=$(python3 "$MARK" a.raw "$bits" "$ch" 48000 "$num" "$den" "$n" 2>&1); then
		pass "$name"
	else
		fail "$name" "$(echo "$out" | tr '\n' ';')"
	fi
}

# 1. 29.97 fps, 300 frames, 2 channels s24: one video and one audio stream, 480480 samples.
"$VCAP" -q "${B[@]}" --size 720x480 --rate 30000/1001 -n 300 --audio pattern --audio-channels 2 \
	--audio-format s24 -o ntsc.mov 2>err.txt
check ntsc-exit 0 $?
check ntsc-streams "video audio" "$(ffprobe -v error -show_entries stream=codec_type -of csv=p=0 ntsc.mov | tr '\n' ' ' | sed 's/ $//')"
check ntsc-audio "pcm_s24le|48000|2|480480" "$(probe ntsc.mov codec_name,sample_rate,channels,duration_ts)"
check ntsc-decoded-samples 480480 "$(ffmpeg -nostdin -v error -i ntsc.mov -map 0:a -f s24le -c:a pcm_s24le - | wc -c | awk '{print $1 / 6}')"
out=$(ffmpeg -nostdin -v error -i ntsc.mov -map 0 -f null - 2>&1)
check ntsc-decodes-cleanly "" "$out"
markers ntsc-markers-on-cadence ntsc.mov 0 24 2 30000 1001 300
check ntsc-mediainfo "480480 in24" "$(mediainfo --Inform='Audio;%SamplingCount% %CodecID%' ntsc.mov)"

# 2. 25 fps, 8 channels as one track (7.1 layout), and as mono tracks (one position each).
"$VCAP" -q "${B[@]}" --size 720x576 --rate 25 -n 100 --audio pattern --audio-channels 8 -o one8.mov 2>err.txt
check one8-exit 0 $?
check one8-warns-qtff 1 "$(grep -c "Apple's QuickTime File Format allows for 1 or 2 channels" err.txt)"
check one8-audio "pcm_s24le|8|192000" "$(probe one8.mov codec_name,channels,duration_ts)"
check one8-layout "L R C LFE Ls Rs Lb Rb" "$(mediainfo --Inform='Audio;%ChannelLayout%' one8.mov)"
markers one8-markers one8.mov 0 24 8 25 1 100
"$VCAP" -q "${B[@]}" --size 720x576 --rate 25 -n 100 --audio pattern --audio-channels 8 \
	--audio-tracks mono -o mono8.mov 2>err.txt
check mono8-exit 0 $?
check mono8-tracks 8 "$(probe mono8.mov channels | grep -c '^1$')"
check mono8-samples 8 "$(probe mono8.mov duration_ts | grep -c '^192000$')"
check mono8-layout "L R C LFE Lb Rb Ls Rs" "$(mediainfo --Inform='Audio;%ChannelLayout% ' mono8.mov | sed 's/ $//')"
markers mono8-markers-track1 mono8.mov 0 24 1 25 1 100
markers mono8-markers-track8 mono8.mov 7 24 1 25 1 100

# 3. 16 and 32 bits; stereo pairs with an odd last channel.
"$VCAP" -q "${B[@]}" --size 720x576 --rate 25 -n 100 --audio pattern --audio-format s16 -o s16.mov 2>err.txt
check s16-audio "pcm_s16le|sowt|192000" "$(probe s16.mov codec_name,codec_tag_string,duration_ts)"
markers s16-markers s16.mov 0 16 2 25 1 100
"$VCAP" -q "${B[@]}" --size 720x480 --rate 30000/1001 -n 100 --audio pattern --audio-format s32 -o s32.mov 2>err.txt
check s32-audio "pcm_s32le|in32|$(samples_at 100 30000 1001)" "$(probe s32.mov codec_name,codec_tag_string,duration_ts)"
markers s32-markers s32.mov 0 32 2 30000 1001 100
"$VCAP" -q "${B[@]}" --size 720x576 --rate 25 -n 50 --audio pattern --audio-channels 3 --audio-tracks pairs \
	--audio-format s16 -o pairs3.mov 2>err.txt
check pairs3-tracks "2 1" "$(probe pairs3.mov channels | tr '\n' ' ' | sed 's/ $//')"
markers pairs3-markers-second pairs3.mov 1 16 1 25 1 50

# 4. Chunks: one per batch, each at a unit-aligned offset in the file, right after its batch's
# frames (the index agrees with the log).
check chunks-per-batch 13 "$(grep -c '^chunk ' s16.mov.vcj)" # 100 frames / V=8
check chunks-aligned 0 "$(awk '/^chunk / && $2 % 4096 { n++ } END { print n + 0 }' s16.mov.vcj)"
first_pkt=$(ffprobe -v error -select_streams a -show_entries packet=pos -of csv=p=0 s16.mov | head -n 1)
check chunk-offset-indexed "$(awk '/^chunk /{print $2; exit}' s16.mov.vcj)" "$first_pkt"
check chunk-after-batch "$(awk '/^6 /{a = $2} /^7 /{print $2 + $2 - a}' s16.mov.vcj)" \
	"$(awk '/^chunk /{print $2; exit}' s16.mov.vcj)"

# 5. A lost frame keeps its sound: with drop-every=50 the file has fewer frames, the sound all
# of the time, and the markers of every frame period, lost ones included.
"$VCAP" -q "${B[@]}" --size 720x576 --rate 25 -n 200 --pattern drop-every=50 --audio pattern -o drop.mov 2>err.txt
span=$(awk '/^[0-9]/{p=$4} END{print p + 1}' drop.mov.vcj)
check drop-frames 200 "$(ffprobe -v error -count_packets -select_streams v -show_entries stream=nb_read_packets -of csv=p=0 drop.mov)"
check drop-keeps-sound "$((span * 1920))" "$(probe drop.mov duration_ts)"
markers drop-markers drop.mov 0 24 2 25 1 "$span"
"$VCAP" -q "${B[@]}" --size 720x576 --rate 25 -n 200 --pattern drop-every=50 --fill-drops --audio pattern -o fill.mov 2>err.txt
# -n counts the filled frames: the filled file spans fewer periods, its sound is the same
fspan=$(awk '/^[0-9]/{p=$4} END{print p + 1}' fill.mov.vcj)
check fill-samples "$((fspan * 1920))" "$(probe fill.mov duration_ts)"
check fill-sound-is-the-real-sound "$(ffmpeg -nostdin -v error -i fill.mov -map 0:a -f s24le - | md5sum)" \
	"$(ffmpeg -nostdin -v error -i drop.mov -map 0:a -f s24le - 2>/dev/null | head -c $((fspan * 1920 * 6)) | md5sum)"

# 6. kill -9 mid-capture, then vmov recover: both tracks, the sound exactly the frames' share,
# every chunk checked against the log's md5 first.
"$VCAP" -q "${B[@]}" --size 720x576 --rate 25 --audio pattern --md5 k.md5 -o k.mov 2>err.txt &
pid=$!
for _ in $(seq 100); do [[ $(grep -c '^chunk ' k.mov.vcj 2>/dev/null) -ge 4 ]] && break; sleep 0.1; done
kill -9 $pid
wait $pid 2>/dev/null
"$VMOV" recover k.mov >out.txt 2>&1
check kill-recover-exit 0 $?
frames=$(ffprobe -v error -count_packets -select_streams v -show_entries stream=nb_read_packets -of csv=p=0 k.mov)
check kill-audio-share "$((frames * 1920))" "$(probe k.mov duration_ts)"
check kill-chunks-in-log "$((frames * 1920))" "$(awk '/^chunk /{n += $4} END{print n}' k.mov.vcj)"
check kill-recover-says-audio 1 "$(grep -c "$((frames * 1920)) samples of sound" out.txt)"
markers kill-markers k.mov 0 24 2 25 1 "$frames"
check kill-md5-sidecar "$(ffmpeg -nostdin -v error -i k.mov -map 0:v -map 0:a -c copy -f framemd5 - | grep -v '^#software')" \
	"$(grep -v '^#software' k.md5)"

# 7. --md5 lists the frames and every audio track's packets as ffmpeg does (pairs, with a
# timecode track, which the sidecar leaves out: it is not picture or sound).
"$VCAP" -q "${B[@]}" --size 720x480 --rate 30000/1001 -n 60 --audio pattern --audio-channels 3 --audio-tracks pairs \
	--timecode 01:00:00:00 --md5 p.md5 -o p.mov 2>err.txt
check md5-audio-lines "$(ffmpeg -nostdin -v error -i p.mov -map 0:v -map 0:a -c copy -f framemd5 - | grep -v '^#software')" \
	"$(grep -v '^#software' p.md5)"
"$VMOV" verify p.mov --md5 p.md5 >out.txt
check md5-verify "0 OK" "$? $(tail -n 1 out.txt)"
npk=$(grep -c '^[12],' p.md5)
check md5-verify-sound 1 "$(grep -c "md5: $npk of $npk audio packets match" out.txt)"
# one bit of the second track's fourth packet flipped: verify names the track and the sample
read -r dts pos < <(ffprobe -v error -select_streams a:1 -show_entries packet=dts,pos -of csv=p=0 p.mov | sed -n 4p | tr , ' ')
cp p.mov pbad.mov
python3 -c 'import sys; f = open(sys.argv[1], "r+b"); f.seek(int(sys.argv[2]) + 10); b = f.read(1); f.seek(int(sys.argv[2]) + 10); f.write(bytes([b[0] ^ 1]))' pbad.mov "$pos"
"$VMOV" verify pbad.mov --md5 p.md5 >out.txt
check md5-verify-sound-flipped "1 FAILED" "$? $(tail -n 1 out.txt)"
check md5-verify-sound-names-it 1 "$(grep -c "audio track 2: the packet at sample $dts differs (1 packet differs in all)" out.txt)"

# 8. vplay --audio-file of a vcap recording: the WAV's samples are ffmpeg's decode of the
# file (every track's channels in track order for mono and pairs).
wav_data() { python3 -c 'import sys; d = open(sys.argv[1], "rb").read(); i = d.find(b"data"); sys.stdout.buffer.write(d[i + 8:])' "$1"; }
for f in ntsc:s24le:'-map 0:a' mono8:s24le:'-filter_complex amerge=inputs=8' s16:s16le:'-map 0:a'; do
	IFS=: read -r name fmt how <<<"$f"
	rm -f "$name.wav"
	"$BIN/vplay" -q "$name.mov" -o null --rate max --audio-file "$name.wav" 2>err.txt
	# shellcheck disable=SC2086
	ffmpeg -nostdin -v error -i "$name.mov" $how -c:a "pcm_$fmt" -f "$fmt" ff.raw -y
	check "vplay-wav-$name" "$(md5sum <ff.raw | cut -d' ' -f1)" "$(wav_data "$name.wav" | md5sum | cut -d' ' -f1)"
done

# 9. Bad audio options: exit 2, nothing created.
bad() {
	local name=$1
	shift
	rm -f bad.mov bad.mov.vcj
	"$VCAP" -q -n 5 "$@" -o bad.mov 2>err.txt
	local rc=$?
	check "bad-$name" "2 no-file 1" "$rc $([[ -e bad.mov ]] && echo file || echo no-file) $(wc -l <err.txt)"
}
bad channels-0 --audio pattern --audio-channels 0
bad channels-17 --audio pattern --audio-channels 17
bad format-s8 --audio pattern --audio-format s8
bad rate-4000 --audio pattern --audio-rate 4000
bad tracks --audio pattern --audio-tracks quad
bad drift --audio pattern --audio-drift fail=x
bad channels-without-audio --audio-channels 2

exit $FAILED
