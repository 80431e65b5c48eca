# Sourced by the real-program capture scripts (rand_real.sh, vmess_real.sh, telegram_real.sh):
# network namespaces joined by veth pairs, and the web server's files and nginx configuration.

# lab_netns NS...: new network namespaces, loopback up.
lab_netns() {
  local ns
  for ns in "$@"; do
    ip netns add "$ns"
    ip -n "$ns" link set lo up
  done
}

# lab_link NS_A DEV_A ADDR_A NS_B DEV_B ADDR_B: a veth pair from DEV_A (in NS_A, ADDR_A/24) to
# DEV_B (in NS_B, ADDR_B/24), up, without segmentation offloads (the capture holds wire-sized
# segments, not 64 KB super-frames).
lab_link() {
  ip link add "$2" type veth peer name "$5"
  ip link set "$2" netns "$1"
  ip link set "$5" netns "$4"
  ip -n "$1" addr add "$3/24" dev "$2"
  ip -n "$4" addr add "$6/24" dev "$5"
  local end
  for end in "$1:$2" "$4:$5"; do
    ip -n "${end%%:*}" link set "${end#*:}" up
    ip netns exec "${end%%:*}" ethtool -K "${end#*:}" tso off gso off gro off 2>/dev/null || true
  done
}

# lab_nginx WORK SERVER: the files a download serves (100 B to 3 MB, random) under WORK/www
# and an nginx configuration WORK/nginx.conf with the server block SERVER, its temporary files
# and pid under WORK.
lab_nginx() {
  mkdir -p "$1/www" "$1/tmp"
  head -c 75 /dev/urandom | base64 > "$1/www/tiny.txt"
  head -c 2000 /dev/urandom | base64 > "$1/www/small.txt"
  head -c 30000 /dev/urandom | base64 > "$1/www/page.txt"
  head -c 3000000 /dev/urandom > "$1/www/big.bin"
  cat > "$1/nginx.conf" <<CONF
worker_processes 1;
pid $1/nginx.pid;
error_log $1/nginx.err;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path $1/tmp; proxy_temp_path $1/tmp; fastcgi_temp_path $1/tmp;
  uwsgi_temp_path $1/tmp; scgi_temp_path $1/tmp;
  $2
}
CONF
}
