# shellcheck shell=bash
# A single-node CephFS inside the rig's guest (sourced by scenarios after lib.sh): one mon, one
# bluestore OSD on a virtio disk, one MDS, no mgr (CephFS I/O does not need one, and it slows
# the start by minutes in TCG), the kernel client. Debian 12's ceph 16.2 from the host root
# (.ci/deps installs it). Loopback only.
#
#   ceph_up DISK MNT   bring it up on DISK and mount it at MNT; sets CEPH_SECRET and
#                      CEPH_UP_S (seconds from the call to the mount)
#   ceph_mount MNT [OPTS]  one more kernel client mount (noshare: a client of its own)
#   ceph_down          unmount everything, stop the daemons (before the guest powers off:
#                      an OSD killed by the power-off leaves I/O errors on its disk)
#
# Facts and figures behind the settings: ../shared/notes/cephfs.md of the project's notes,
# and README "Shared storage". Each ceph CLI call costs 5 to 20 s in TCG (Python over 9p):
# few are made.

ceph_cli() { timeout 180 ceph --connect-timeout 120 "$@"; }

ceph_log_tail() {
	local f
	for f in /var/log/ceph/*.log; do
		[[ -f $f ]] || continue
		echo "    --- $f"
		tail -n 20 "$f" | sed 's/^/    /'
	done
}

ceph_conf() {
	cat >/etc/ceph/ceph.conf <<EOF
[global]
fsid = $1
mon_initial_members = a
mon_host = [v2:127.0.0.1:3300,v1:127.0.0.1:6789]
public_network = 127.0.0.0/8
auth_cluster_required = cephx
auth_service_required = cephx
auth_client_required = cephx
osd_pool_default_size = 1
osd_pool_default_min_size = 1
osd_pool_default_pg_num = 8
osd_pool_default_pgp_num = 8
osd_crush_chooseleaf_type = 0
mon_allow_pool_size_one = true
mon_warn_on_pool_no_redundancy = false
ms_bind_ipv6 = false
log_file = /var/log/ceph/\$cluster-\$name.log
[osd]
osd_objectstore = bluestore
osd_memory_target = 1073741824
[mds]
mds_cache_memory_limit = 268435456
EOF
}

ceph_mon_up() {
	ceph-authtool --create-keyring /tmp/mon.keyring --gen-key -n mon. --cap mon 'allow *' >/dev/null &&
		ceph-authtool --create-keyring /etc/ceph/ceph.client.admin.keyring --gen-key \
			-n client.admin --cap mon 'allow *' --cap osd 'allow *' --cap mds 'allow *' \
			--cap mgr 'allow *' >/dev/null &&
		ceph-authtool /tmp/mon.keyring --import-keyring /etc/ceph/ceph.client.admin.keyring >/dev/null &&
		monmaptool --create --addv a '[v2:127.0.0.1:3300,v1:127.0.0.1:6789]' --fsid "$1" \
			/tmp/monmap >/dev/null &&
		ceph-mon --mkfs -i a --monmap /tmp/monmap --keyring /tmp/mon.keyring &&
		ceph-mon -i a
}

# bluestore straight on the disk (its block symlink), no ceph-volume or LVM
ceph_osd_up() {
	local disk=$1 uuid key id dir
	uuid=$(cat /proc/sys/kernel/random/uuid)
	key=$(ceph-authtool --gen-print-key) || return 1
	id=$(echo "{\"cephx_secret\": \"$key\"}" | ceph_cli osd new "$uuid" -i -) || return 1
	dir=/var/lib/ceph/osd/ceph-$id
	mkdir -p "$dir" && ln -s "$disk" "$dir/block" &&
		ceph-authtool --create-keyring "$dir/keyring" --name "osd.$id" --add-key "$key" >/dev/null &&
		ceph-osd -i "$id" --mkfs --osd-uuid "$uuid" >/dev/null 2>&1 &&
		ceph-osd -i "$id"
}

ceph_fs_up() {
	local i
	ceph_cli auth get-or-create mds.a mon 'allow profile mds' osd 'allow rwx' mds 'allow' \
		mgr 'allow profile mds' -o /var/lib/ceph/mds/ceph-a/keyring >/dev/null &&
		ceph-mds -i a &&
		ceph_cli osd pool create cephfs_metadata 8 >/dev/null &&
		ceph_cli osd pool create cephfs_data 8 >/dev/null &&
		ceph_cli fs new cephfs cephfs_metadata cephfs_data >/dev/null || return 1
	for i in $(seq 1 120); do
		ceph_cli mds stat 2>/dev/null | grep -q 'up:active' && return 0
		sleep 2
	done
	return 1
}

ceph_mount() {
	mkdir -p "$1"
	mount -t ceph 127.0.0.1:6789:/ "$1" -o "name=admin,secret=$CEPH_SECRET${2:+,$2}" 2>&1 |
		grep -v 'Module ceph not found' # loaded already, from the rig's kernel modules
	mountpoint -q "$1"
}

ceph_up() {
	local disk=$1 mnt=$2 fsid t0 d
	t0=$(cut -d' ' -f1 /proc/uptime)
	ip link set lo up
	hostname cephvm # the OSD's CRUSH location is its host name; the guest's "(none)" is refused
	# the root is the host's, read-only over 9p: the cluster's state goes to tmpfs
	for d in /etc/ceph /var/lib/ceph /var/log/ceph; do
		mount -t tmpfs tmpfs "$d" || return 1
	done
	mkdir -p /run/ceph /var/lib/ceph/mon/ceph-a /var/lib/ceph/mds/ceph-a /var/lib/ceph/tmp
	fsid=$(cat /proc/sys/kernel/random/uuid)
	ceph_conf "$fsid"
	ceph_mon_up "$fsid" || { echo "    ceph: the mon did not start"; ceph_log_tail; return 1; }
	ceph_osd_up "$disk" || { echo "    ceph: the OSD did not start"; ceph_log_tail; return 1; }
	ceph_fs_up || { echo "    ceph: no active MDS"; ceph_log_tail; return 1; }
	CEPH_SECRET=$(ceph-authtool -p -n client.admin /etc/ceph/ceph.client.admin.keyring) || return 1
	ceph_mount "$mnt" || { dmesg | tail -n 20; return 1; }
	CEPH_UP_S=$(awk -v a="$t0" -v b="$(cut -d' ' -f1 /proc/uptime)" 'BEGIN { printf "%.0f", b - a }')
}

ceph_down() {
	local m
	for m in $(awk '$3 == "ceph" { print $2 }' /proc/mounts | sort -r); do
		umount "$m" 2>/dev/null || umount -l "$m"
	done
	pkill -x ceph-mds
	pkill -x ceph-osd
	pkill -x ceph-mon
	for _ in {1..50}; do
		pgrep -x ceph-osd >/dev/null || pgrep -x ceph-mon >/dev/null ||
			pgrep -x ceph-mds >/dev/null || break
		sleep 0.2
	done
}
