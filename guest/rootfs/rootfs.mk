# guest/rootfs/rootfs.mk — the guests' root file system. Included by the main
# Makefile after guest/guest.mk (BUILD and GUEST_DIR come from there).
#
#   make rootfs       $(BUILD)/guest/rootfs.ext4: busybox from Debian's
#                     source package, static on Debian's riscv64 glibc, with
#                     init scripts (DHCP on eth0, httpd on port 80), in a
#                     128 MiB ext4 image; about 1-2.5 min the first time
#
# guest/rootfs/build makes it in the cache folder $(BUILD)/guest/rootfs-KEY/
# (see the script for what KEY covers) and fetches the source package through
# the project-local apt state in $(BUILD)/debian-src (scripts/debian-src;
# make setup prepares it). rootfs.ext4 is a relative symlink to the current
# image; tests boot writable copies of it, never the image itself
# (disk_copy in tests/integration/lib.bash).

.PHONY: rootfs guest-rootfs-always
rootfs: $(GUEST_DIR)/rootfs.ext4

# Whether the image is current is the build script's question; it answers
# in about 0.1 s, so it runs every time, and re-pointing the symlink leaves
# the image's mtime alone.
$(GUEST_DIR)/rootfs.ext4: guest-rootfs-always
	@img=$$(guest/rootfs/build $(GUEST_DIR) $(BUILD)/debian-src) && \
	ln -sfn "$$(basename "$$(dirname "$$img")")/rootfs.ext4" $@

# The integration tests boot it (tests/integration/rootfs.sh under memvisor,
# rootfs-qemu.sh under QEMU).
ifneq ($(shell command -v $(GUEST_CC) 2>/dev/null),)
integration: rootfs
endif
