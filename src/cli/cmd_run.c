/* SPDX-License-Identifier: MIT */
/* memvisor run: boot one guest and exit with its shutdown status. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/api.h"
#include "cli/cli.h"
#include "vmm/hv.h"
#include "vmm/vm.h"

#define RUN_SYNOPSIS                                                           \
	"run --kernel IMAGE [--initrd CPIO] [--memory SIZE] [--cpus N] "       \
	"[--cmdline TEXT] [--pcpus P] [--api-sock PATH] [--symbols FILE] "     \
	"[--vmi-cache DIR] [--kernel-tree DIR] [--kernel-config FILE] "        \
	"[--share-interval MS] [--host-ksm] [--cpu-disable LIST] "             \
	"[--cpu-tier interp|jit] [--jit-threshold N] [--jit-share on|off] "    \
	"[--console serial|sbi] [--disk PATH[,ro]]... "                        \
	"[--net user[,hostfwd=tcp:ADDR:HOSTPORT-:GUESTPORT]...] [--rng] "      \
	"[--balloon]"

enum run_opt {
	OPT_KERNEL,
	OPT_INITRD,
	OPT_MEMORY,
	OPT_CPUS,
	OPT_CMDLINE,
	OPT_PCPUS,
	OPT_HOST_MEMORY,
	OPT_API_SOCK,
	OPT_SYMBOLS,
	OPT_VMI_CACHE,
	OPT_KERNEL_TREE,
	OPT_KERNEL_CONFIG,
	OPT_SHARE_INTERVAL,
	OPT_HOST_KSM,
	OPT_CPU_DISABLE,
	OPT_CPU_TIER,
	OPT_JIT_THRESHOLD,
	OPT_JIT_SHARE,
	OPT_CONSOLE,
	OPT_DISK,
	OPT_NET,
	OPT_RNG,
	OPT_BALLOON,
};

/* The command line without --cmdline, per --console. */
#define RUN_CMDLINE_SERIAL "console=hvc0 console=ttyS0 earlycon"
#define RUN_CMDLINE_SBI	   "console=hvc0 earlycon=sbi"

static const struct cli_option run_opts[] = {
    [OPT_KERNEL] = {"kernel", "IMAGE",
		    "RISC-V Linux Image or bare-metal ELF (required)"},
    [OPT_INITRD] = {"initrd", "CPIO",
		    "initramfs (newc cpio, may be compressed)"},
    [OPT_MEMORY] = {"memory", "SIZE",
		    "guest RAM, e.g. 512M or 2G (default 256M)"},
    [OPT_CPUS] = {"cpus", "N", "VCPUs, 1 to 8 (default 1)"},
    [OPT_CMDLINE] = {"cmdline", "TEXT",
		     "kernel command line (default \"" RUN_CMDLINE_SERIAL
		     "\", or \"" RUN_CMDLINE_SBI "\" with --console sbi)"},
    [OPT_PCPUS] = {"pcpus", "P",
		   "host threads running VCPUs (default: host cores)"},
    [OPT_HOST_MEMORY] = {"host-memory", "SIZE",
			 "most host memory guests may use (default: host RAM)"},
    [OPT_API_SOCK] = {"api-sock", "PATH",
		      "serve the control API on this Unix socket"},
    [OPT_SYMBOLS] = {"symbols", "FILE",
		     "inspect: the kernel's System.map or vmlinux (default: "
		     "System.map, else vmlinux, beside --kernel)"},
    [OPT_VMI_CACHE] = {"vmi-cache", "DIR",
		       "inspect: where kernel profiles are built (default "
		       "$MEMVISOR_CACHE/vmi or ~/.cache/memvisor/vmi)"},
    [OPT_KERNEL_TREE] = {"kernel-tree", "DIR",
			 "inspect: a configured tree of the guest's kernel "
			 "to build its profile in (used only when its "
			 "version and config match)"},
    [OPT_KERNEL_CONFIG] = {"kernel-config", "FILE",
			   "inspect: the kernel's .config, for a kernel built "
			   "without CONFIG_IKCONFIG"},
    [OPT_SHARE_INTERVAL] = {"share-interval", "MS",
			    "give every VM's free pages (Linux guests) back to "
			    "the host every MS milliseconds (default: only on "
			    "request, memvisor ctl share)"},
    [OPT_HOST_KSM] = {"host-ksm", NULL,
		      "let the host's KSM merge equal guest pages "
		      "(MADV_MERGEABLE; the baseline for memvisor ctl dedup)"},
    [OPT_CPU_DISABLE] = {"cpu-disable", "LIST",
			 "leave CPU features out of the guest's machine, "
			 "comma-separated: sstc (the guest's timer goes "
			 "through the SBI), asid (satp keeps no ASID bits); "
			 "for measuring what they are worth"},
    [OPT_CPU_TIER] = {"cpu-tier", "interp|jit",
		      "how guest code runs: interp, the interpreter of "
		      "decoded blocks, or jit, which also translates hot "
		      "blocks to x86-64 code (default: jit on x86-64 hosts, "
		      "interp elsewhere)"},
    [OPT_JIT_THRESHOLD] = {"jit-threshold", "N",
			   "with --cpu-tier jit: translate a block on its "
			   "Nth run (default 16; 1: every block at once, "
			   "which the tests use)"},
    [OPT_JIT_SHARE] = {"jit-share", "on|off",
		       "with --cpu-tier jit: on (default), one code cache "
		       "for the VM's harts and all its clones, so a clone "
		       "runs its parent's translations at once; off, a code "
		       "cache per hart (for measuring what sharing is "
		       "worth)"},
    [OPT_CONSOLE] = {"console", "serial|sbi",
		     "the guest's console in the device tree (stdout-path): "
		     "serial, the NS16550A UART (ttyS0; default), or sbi, "
		     "the SBI console (hvc0); both exist either way"},
    [OPT_DISK] = {"disk", "PATH[,ro]",
		  "a raw disk image as a virtio-blk device (/dev/vda, vdb "
		  "... in order; up to 4); ,ro: read-only. Clones get "
		  "copy-on-write overlays"},
    [OPT_NET] = {"net", "user[,hostfwd=...]",
		 "a virtio-net device on user-mode networking (libslirp, "
		 "QEMU's defaults: guest 10.0.2.15 by DHCP, host 10.0.2.2, "
		 "DNS 10.0.2.3); each hostfwd=tcp:ADDR:HOSTPORT-:GUESTPORT "
		 "(or udp:) forwards a host port to the guest, ADDR empty: "
		 "127.0.0.1 (up to 8). Clones get their own MAC, network "
		 "and host ports"},
    [OPT_RNG] = {"rng", NULL,
		 "a virtio-rng device: random bytes from the host's "
		 "getrandom() (clones also get a new VM generation ID, always "
		 "there: Linux 6.10+ reseeds from it)"},
    [OPT_BALLOON] = {"balloon", NULL,
		     "a virtio-balloon device with free page reporting: "
		     "pages the guest frees or inflates (memvisor ctl "
		     "balloon) go back to the host"},
};

#define RUN_NOPTS (sizeof(run_opts) / sizeof(run_opts[0]))

struct run_args {
	struct vm_config vm;
	unsigned pcpus;
	uint64_t host_memory;
	const char *api_sock;
	struct vmi_profile_config vmi;
	unsigned share_interval_ms;
	bool host_ksm;
	struct vm_disk_config disks[VM_MAX_DISKS];
	char *disk_paths[VM_MAX_DISKS];
	struct vm_net_config net;
};

/* --cpu-disable sstc,asid */
static int run_cpu_disable(const char *arg, struct vm_config *vm)
{
	char buf[256], *save = NULL;

	if (strlen(arg) >= sizeof(buf))
		goto bad;
	strcpy(buf, arg);
	for (char *t = strtok_r(buf, ",", &save); t;
	     t = strtok_r(NULL, ",", &save)) {
		int e = isa_ext_lookup(t);

		if (!strcmp(t, "asid"))
			vm->asid_off = true;
		else if (e >= 0 && (ISA_OPTIONAL & ISA_BIT(e)))
			vm->isa_off |= ISA_BIT(e);
		else
			goto bad;
	}
	return 0;
bad:
	cli_error("--cpu-disable %s: expected a comma-separated list of "
		  "sstc and asid",
		  arg);
	return CLI_EXIT_USAGE;
}

/* --cpu-tier interp|jit */
static int run_cpu_tier(const char *arg, struct vm_config *vm)
{
	if (!strcmp(arg, "interp")) {
		vm->tier = HART_TIER_INTERP;
	} else if (!strcmp(arg, "jit")) {
		if (hart_default_tier() != HART_TIER_JIT) {
			cli_error("--cpu-tier jit: this host has no "
				  "translator (x86-64 only); use interp");
			return CLI_EXIT_USAGE;
		}
		vm->tier = HART_TIER_JIT;
	} else {
		cli_error("--cpu-tier %s: expected interp or jit", arg);
		return CLI_EXIT_USAGE;
	}
	return 0;
}

/* --disk PATH[,ro]: the image is opened by vm_create(). */
static int run_disk(const char *arg, struct run_args *a)
{
	size_t len = strlen(arg);
	unsigned n = a->vm.ndisks;
	char *path;

	if (n == VM_MAX_DISKS) {
		cli_error("--disk %s: at most %u disks", arg, VM_MAX_DISKS);
		return CLI_EXIT_USAGE;
	}
	path = strdup(arg);
	if (!path) {
		cli_error("out of memory");
		return CLI_EXIT_USAGE;
	}
	a->disks[n].ro = false;
	if (len > 3 && !strcmp(arg + len - 3, ",ro")) {
		path[len - 3] = '\0';
		a->disks[n].ro = true;
	}
	if (!path[0]) {
		free(path);
		cli_error("--disk %s: expected PATH or PATH,ro", arg);
		return CLI_EXIT_USAGE;
	}
	a->disk_paths[n] = path;
	a->disks[n].path = path;
	a->vm.disks = a->disks;
	a->vm.ndisks = n + 1;
	return 0;
}

/* --net user[,hostfwd=tcp:ADDR:HOSTPORT-:GUESTPORT]... */
static int run_net(const char *arg, struct run_args *a)
{
	char buf[1024], why[256], *save = NULL, *t;

	if (a->vm.net) {
		cli_error("--net %s: only one --net (add hostfwd= to the "
			  "first)",
			  arg);
		return CLI_EXIT_USAGE;
	}
	if (strlen(arg) >= sizeof(buf))
		goto bad;
	strcpy(buf, arg);
	t = strtok_r(buf, ",", &save);
	if (!t || strcmp(t, "user"))
		goto bad;
	while ((t = strtok_r(NULL, ",", &save))) {
		struct usernet_fwd *f = &a->net.fwd[a->net.nfwd];

		if (strncmp(t, "hostfwd=", 8))
			goto bad;
		if (a->net.nfwd == USERNET_MAX_FWDS) {
			cli_error("--net %s: at most %u hostfwd", arg,
				  USERNET_MAX_FWDS);
			return CLI_EXIT_USAGE;
		}
		if (usernet_parse_fwd(t + 8, f, why, sizeof(why))) {
			cli_error("--net %s: %s", arg, why);
			return CLI_EXIT_USAGE;
		}
		a->net.nfwd++;
	}
	a->vm.net = &a->net;
	return 0;
bad:
	cli_error("--net %s: expected user[,hostfwd=tcp:ADDR:HOSTPORT-:"
		  "GUESTPORT]... (e.g. user,hostfwd=tcp:127.0.0.1:8080-:80)",
		  arg);
	return CLI_EXIT_USAGE;
}

static int run_option(unsigned idx, const char *arg, void *ctx)
{
	struct run_args *a = ctx;

	switch ((enum run_opt)idx) {
	case OPT_KERNEL:
		a->vm.kernel = arg;
		return 0;
	case OPT_INITRD:
		a->vm.initrd = arg;
		return 0;
	case OPT_CMDLINE:
		a->vm.cmdline = arg;
		return 0;
	case OPT_MEMORY:
		if (cli_parse_size(arg, &a->vm.ram_size) ||
		    a->vm.ram_size < (4u << 20) || (a->vm.ram_size & 0xfff)) {
			cli_error(
			    "--memory %s: expected a size like 512M or 2G "
			    "(at least 4M, whole pages)",
			    arg);
			return CLI_EXIT_USAGE;
		}
		return 0;
	case OPT_CPUS:
		if (cli_parse_uint(arg, 1, VM_MAX_VCPUS, &a->vm.ncpus)) {
			cli_error("--cpus %s: expected a number from 1 to %u",
				  arg, VM_MAX_VCPUS);
			return CLI_EXIT_USAGE;
		}
		return 0;
	case OPT_PCPUS:
		if (cli_parse_uint(arg, 1, 256, &a->pcpus)) {
			cli_error("--pcpus %s: expected a number from 1 to 256",
				  arg);
			return CLI_EXIT_USAGE;
		}
		return 0;
	case OPT_API_SOCK:
		a->api_sock = arg;
		return 0;
	case OPT_SYMBOLS:
		a->vm.symbols = arg;
		return 0;
	case OPT_VMI_CACHE:
		a->vmi.cache_dir = arg;
		return 0;
	case OPT_KERNEL_TREE:
		a->vmi.tree = arg;
		return 0;
	case OPT_KERNEL_CONFIG:
		a->vmi.config = arg;
		return 0;
	case OPT_HOST_KSM:
		a->host_ksm = true;
		return 0;
	case OPT_CPU_DISABLE:
		return run_cpu_disable(arg, &a->vm);
	case OPT_CPU_TIER:
		return run_cpu_tier(arg, &a->vm);
	case OPT_JIT_THRESHOLD:
		if (cli_parse_uint(arg, 1, 1000000, &a->vm.jit_threshold)) {
			cli_error("--jit-threshold %s: expected a number from "
				  "1 to 1000000",
				  arg);
			return CLI_EXIT_USAGE;
		}
		return 0;
	case OPT_JIT_SHARE:
		if (strcmp(arg, "on") && strcmp(arg, "off")) {
			cli_error("--jit-share %s: expected on or off", arg);
			return CLI_EXIT_USAGE;
		}
		a->vm.jit_private = !strcmp(arg, "off");
		return 0;
	case OPT_DISK:
		return run_disk(arg, a);
	case OPT_NET:
		return run_net(arg, a);
	case OPT_RNG:
		a->vm.rng = true;
		return 0;
	case OPT_BALLOON:
		a->vm.balloon = true;
		return 0;
	case OPT_CONSOLE:
		if (!strcmp(arg, "serial")) {
			a->vm.console = PLATFORM_CONSOLE_SERIAL;
		} else if (!strcmp(arg, "sbi")) {
			a->vm.console = PLATFORM_CONSOLE_SBI;
		} else {
			cli_error("--console %s: expected serial or sbi", arg);
			return CLI_EXIT_USAGE;
		}
		return 0;
	case OPT_SHARE_INTERVAL:
		if (cli_parse_uint(arg, 1, 86400000, &a->share_interval_ms)) {
			cli_error("--share-interval %s: expected milliseconds "
				  "from 1 to 86400000",
				  arg);
			return CLI_EXIT_USAGE;
		}
		return 0;
	case OPT_HOST_MEMORY:
		if (cli_parse_size(arg, &a->host_memory) ||
		    a->host_memory < (1u << 20)) {
			cli_error("--host-memory %s: expected a size like 4G",
				  arg);
			return CLI_EXIT_USAGE;
		}
		return 0;
	}
	return 0;
}

static uint64_t run_host_ram(void)
{
	long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);

	return pages > 0 && size > 0 ? (uint64_t)pages * (uint64_t)size
				     : 4ull << 30;
}

int cmd_run(int argc, char **argv)
{
	struct run_args a = {
	    .vm = {.ram_size = 256u << 20, .ncpus = 1},
	};
	char why[VM_WHY_LEN] = "";
	struct console *con = NULL;
	struct api *api = NULL;
	struct vm *vm = NULL;
	struct hv *hv = NULL;
	int rest, r, status = CLI_EXIT_USAGE;

	inspect_default_config(&a.vmi);
	a.vm.vmi = &a.vmi;
	r = cli_parse(argc, argv, RUN_SYNOPSIS, run_opts, RUN_NOPTS, run_option,
		      &a, &rest);
	if (r) {
		status = r < 0 ? 0 : r;
		goto out;
	}
	if (rest < argc) {
		cli_error("run: unexpected argument '%s' (see --help)",
			  argv[rest]);
		goto out;
	}
	if (!a.vm.kernel) {
		cli_error("run: --kernel IMAGE is required (see --help)");
		goto out;
	}
	if (!a.host_memory)
		a.host_memory = run_host_ram();
	if (!a.vm.cmdline)
		a.vm.cmdline = a.vm.console == PLATFORM_CONSOLE_SBI
				   ? RUN_CMDLINE_SBI
				   : RUN_CMDLINE_SERIAL;

	r = hv_create(a.host_memory, a.pcpus, &hv);
	if (r) {
		cli_error("cannot reserve %llu bytes of host memory or start "
			  "the PCPU threads: %s",
			  (unsigned long long)a.host_memory, strerror(-r));
		goto out;
	}
	if (a.host_ksm) {
		r = frame_pool_mergeable(hv_pool(hv));
		if (r) {
			cli_error(
			    "--host-ksm: the host refuses MADV_MERGEABLE: "
			    "%s (a kernel without KSM?)",
			    strerror(-r));
			goto out;
		}
	}
	if (a.share_interval_ms) {
		r = hv_share_interval(hv, 0,
				      (uint64_t)a.share_interval_ms * 1000000u);
		if (r) {
			cli_error("--share-interval: cannot start the sharer: "
				  "%s",
				  strerror(-r));
			goto out;
		}
	}
	r = console_create(0, &con);
	if (r) {
		cli_error("cannot create the console: %s", strerror(-r));
		goto out;
	}
	r = vm_create(&a.vm, hv_pool(hv), con, &vm, why, sizeof(why));
	if (r) {
		cli_error("%s", why[0] ? why : strerror(-r));
		goto out;
	}
	r = console_attach_stdin(con);
	if (r) {
		cli_error("cannot read the console input: %s", strerror(-r));
		goto out;
	}
	if (a.api_sock) {
		r = api_start(hv, a.api_sock, &api);
		if (r) {
			cli_error("--api-sock %s: %s", a.api_sock,
				  strerror(-r));
			goto out;
		}
	}
	r = hv_add(hv, vm);
	if (r < 0) {
		cli_error("cannot start the VM: %s", strerror(-r));
		goto out;
	}
	vm = NULL; /* hv owns it now */
	status = hv_wait(hv, 0);
	if (status == VM_EXIT_ERROR)
		cli_error("the VM stopped: memvisor stopped it (out of host "
			  "memory, or destroyed)");

out:
	api_stop(api);
	vm_destroy(vm); /* only when hv never took it: before its pool goes */
	hv_destroy(hv);
	console_destroy(con);
	for (unsigned i = 0; i < a.vm.ndisks; i++)
		free(a.disk_paths[i]);
	return status;
}
