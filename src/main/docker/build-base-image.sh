#!/usr/bin/env bash
# Builds keyward's local base image for Jib (tar://target/keyward-base-image.tar), with no Docker daemon and no
# registry: a JRE jlinked from the build machine's JDK, the shared libraries it links against, a `nonroot` user
# (65532), /tmp and the data directory, CA certificates, and no shell. Written as a `docker save` tarball
# (manifest.json + config + one layer), which is what Jib's tar:// reader takes.
#
#   build-base-image.sh tar://<output.tar>   (JAVA_HOME: the JDK to jlink; SOURCE_DATE_EPOCH: file times, default 0)
#
# The argument is quarkus.jib.base-jvm-image: any other base (a registry image such as
# gcr.io/distroless/java17-debian12:nonroot, or docker://...) needs nothing built here, and the script says so.
#
# Same JDK, same libraries, same script => byte-identical tarball. The build is skipped when <output.tar> exists
# and was made by this script from the same JDK (a stamp file next to it records both).
# Linux only (jlink, ldd, GNU tar, sha256sum). docs/how-to/build-the-image.md explains the result.
set -euo pipefail

base=${1:?usage: build-base-image.sh tar://<output.tar>}
case "$base" in
  tar://*) out=${base#tar://} ;;
  *) echo "keyward base image: quarkus.jib.base-jvm-image is $base; no local base image to build"; exit 0 ;;
esac
mkdir -p "$(dirname "$out")"
out="$(cd "$(dirname "$out")" && pwd)/$(basename "$out")"
java_home=${JAVA_HOME:?JAVA_HOME must point at a JDK 17 with jmods}
epoch=${SOURCE_DATE_EPOCH:-0}
stage="${out%.tar}.rootfs"
work="${out%.tar}.work"
jre=usr/lib/jvm/keyward-jre

# Modules keyward needs at run time: `jdeps -s` over target/quarkus-app (java.base, java.logging, java.sql with
# java.transaction.xa and java.xml, java.naming, java.desktop for java.beans (Hibernate Validator's EL, Narayana),
# java.management + jdk.management (Micrometer), jdk.unsupported (Netty), java.net.http (Vault driver),
# java.security.jgss and jdk.net (HTTP clients), java.scripting and java.compiler (referenced by H2 and Vert.x)),
# java.rmi (java.rmi.RemoteException, which SmallRye Context Propagation loads at start: found by running the
# image, ContainerImageIT does that), plus what jdeps cannot see because it is reached by name:
# jdk.crypto.cryptoki (pkcs11 provider),
# jdk.crypto.ec (EC keys in TLS and JWTs), jdk.naming.dns (DNS through JNDI), jdk.zipfs, jdk.charsets.
# Left out on purpose: jdk.compiler, jdk.httpserver (MSAL's interactive login), java.instrument (H2's profiler).
modules=java.base,java.logging,java.sql,java.transaction.xa,java.xml,java.naming,java.desktop,java.management,\
jdk.management,jdk.unsupported,java.net.http,java.security.jgss,jdk.net,java.scripting,java.compiler,\
java.rmi,jdk.crypto.cryptoki,jdk.crypto.ec,jdk.naming.dns,jdk.zipfs,jdk.charsets

# java.desktop's native GUI, sound, font and image codecs link X11, ALSA, FreeType, HarfBuzz, libjpeg and LCMS;
# a headless server never loads them, so they stay out (and with them those libraries). jrunscript has no
# script engine to run on JDK 17 and is the nearest thing to a shell a JRE ships, so it goes too, as does
# rmiregistry (java.rmi is here for one exception class, not to serve RMI).
exclude_native='**/bin/jrunscript,**/bin/rmiregistry,**/libawt_xawt.so,**/libjawt.so,**/libsplashscreen.so,**/libjsound.so,**/libfontmanager.so,**/liblcms.so,**/libjavajpeg.so'

stamp_file="$out.stamp"
stamp="$(sha256sum "$0" | cut -d' ' -f1) $("$java_home/bin/java" -XshowSettings:properties -version 2>&1 | grep -E 'java\.(vm\.)?version|java\.home' | tr -d ' \n')"
if [ -f "$out" ] && [ -f "$stamp_file" ] && [ "$(cat "$stamp_file")" = "$stamp" ]; then
  echo "keyward base image: $out is up to date"
  exit 0
fi

rm -rf "$stage" "$work" "$out" "$stamp_file"
mkdir -p "$stage" "$work"

case "$(uname -m)" in
  x86_64) arch=amd64 ;;
  aarch64) arch=arm64 ;;
  *) arch=$(uname -m) ;;
esac

echo "keyward base image: jlink ($modules)"
mkdir -p "$stage/usr/lib/jvm"
"$java_home/bin/jlink" --add-modules "$modules" --output "$stage/$jre" \
  --strip-debug --no-header-files --no-man-pages --compress=2 --exclude-files="$exclude_native"

# Debian's and Ubuntu's JDKs keep cacerts and other security files as symlinks into /etc; resolve every symlink
# the JRE ended up with, so the image carries the files themselves.
while IFS= read -r link; do
  target=$(readlink -f "$link" || true)
  rm "$link"
  if [ -n "$target" ] && [ -f "$target" ]; then cp "$target" "$link"; fi
done < <(find "$stage/$jre" -type l)
if [ ! -s "$stage/$jre/lib/security/cacerts" ]; then
  for ks in /etc/ssl/certs/java/cacerts /etc/pki/java/cacerts "$java_home/lib/security/cacerts"; do
    if [ -s "$ks" ]; then cp -L "$ks" "$stage/$jre/lib/security/cacerts"; break; fi
  done
fi
[ -s "$stage/$jre/lib/security/cacerts" ] || { echo "no Java CA certificates found" >&2; exit 1; }

# Shared libraries the JRE links against, at the paths the dynamic loader looks for them. The loader itself and
# every library are copied as files; the host's symlinked directories (e.g. /lib -> usr/lib) are kept as links.
for d in lib lib64; do
  if [ -L "/$d" ]; then ln -s "$(readlink "/$d")" "$stage/$d"; fi
done
libs=$(find "$stage/$jre" -type f \( -name '*.so' -o -path '*/bin/*' \) -exec ldd {} + 2>/dev/null \
  | awk '/=> \// {print $3} /^\t\/[^ ]+ \(/ {print $1}' | sort -u)
if find "$stage/$jre" -type f \( -name '*.so' -o -path '*/bin/*' \) -exec ldd {} + 2>/dev/null | grep -q 'not found'; then
  echo "a JRE library has an unresolved dependency:" >&2
  find "$stage/$jre" -type f \( -name '*.so' -o -path '*/bin/*' \) -exec ldd {} + 2>&1 | grep -B20 'not found' >&2
  exit 1
fi
for lib in $libs; do
  case "$lib" in "$stage"/*|"$(cd "$stage" && pwd)"/*) continue ;; esac
  real=$(readlink -f "$lib")
  install -D -m 0755 "$real" "$stage$real"
  as_seen="$(readlink -f "$(dirname "$lib")")/$(basename "$lib")"
  if [ "$as_seen" != "$real" ] && [ ! -e "$stage$as_seen" ]; then
    mkdir -p "$stage$(dirname "$as_seen")"
    ln -s "$real" "$stage$as_seen"
  fi
done

mkdir -p "$stage/usr/bin"
ln -s "../lib/jvm/keyward-jre/bin/java" "$stage/usr/bin/java"

# Users, name service, certificates, and the directories a read-only root still needs.
mkdir -p "$stage/etc/ssl/certs" "$stage/home/nonroot" "$stage/var/lib/keyward" "$stage/tmp" \
  "$stage/proc" "$stage/sys" "$stage/dev" "$stage/root"
cat > "$stage/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin
nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin
PASSWD
cat > "$stage/etc/group" <<'GROUP'
root:x:0:
nogroup:x:65534:
nonroot:x:65532:
GROUP
printf 'passwd: files\ngroup: files\nhosts: files dns\n' > "$stage/etc/nsswitch.conf"
if [ -s /etc/ssl/certs/ca-certificates.crt ]; then
  cp -L /etc/ssl/certs/ca-certificates.crt "$stage/etc/ssl/certs/ca-certificates.crt"
fi

find "$stage" -type d -exec chmod 0755 {} +
find "$stage" -type f -exec chmod go-w {} +
chmod 1777 "$stage/tmp"
chmod 0700 "$stage/root"
chmod 0750 "$stage/var/lib/keyward"
chmod 0750 "$stage/home/nonroot"

# One layer: everything root-owned except the user's home and the data directory (65532). Sorted names, fixed
# times, numeric owners: the same input makes the same bytes.
tar_opts=(--format=gnu --sort=name --mtime="@$epoch" --numeric-owner)
entries=$(cd "$stage" && ls -A | LC_ALL=C sort)
(cd "$stage" && LC_ALL=C tar "${tar_opts[@]}" --owner=0 --group=0 \
  --exclude=home/nonroot --exclude=var/lib/keyward -cf "$work/layer.tar" $entries)
(cd "$stage" && LC_ALL=C tar "${tar_opts[@]}" --owner=65532 --group=65532 --no-recursion \
  -rf "$work/layer.tar" home/nonroot var/lib/keyward)

diff_id=$(sha256sum "$work/layer.tar" | cut -d' ' -f1)
created=$(date -u -d "@$epoch" +%Y-%m-%dT%H:%M:%SZ)
java_version=$("$stage/$jre/bin/java" -XshowSettings:properties -version 2>&1 | awk -F' = ' '/java.runtime.version/ {print $2}')
cat > "$work/config.json" <<CONFIG
{"architecture":"$arch","os":"linux","created":"$created",
 "config":{"User":"65532:65532","WorkingDir":"/",
  "Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","JAVA_HOME=/$jre","LANG=C.UTF-8"],
  "Labels":{"io.keyward.base.java-version":"$java_version","io.keyward.base.modules":"$modules"}},
 "rootfs":{"type":"layers","diff_ids":["sha256:$diff_id"]},
 "history":[{"created":"$created","created_by":"src/main/docker/build-base-image.sh"}]}
CONFIG
config_id=$(sha256sum "$work/config.json" | cut -d' ' -f1)
mv "$work/config.json" "$work/$config_id.json"
mkdir -p "$work/$diff_id"
mv "$work/layer.tar" "$work/$diff_id/layer.tar"
printf '[{"Config":"%s.json","RepoTags":["keyward/base-jre:17"],"Layers":["%s/layer.tar"]}]\n' \
  "$config_id" "$diff_id" > "$work/manifest.json"
(cd "$work" && LC_ALL=C tar "${tar_opts[@]}" --owner=0 --group=0 -cf "$out.partial" manifest.json "$config_id.json" "$diff_id")
mv "$out.partial" "$out"
rm -rf "$work" "$stage"
echo "$stamp" > "$stamp_file"
echo "keyward base image: $out ($(du -h "$out" | cut -f1), layer sha256:$diff_id)"
