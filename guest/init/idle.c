/*
 * idle.c — /init of the idle guest (bench/cpu.sh): reaches user space,
 * says so, and then does nothing for idle_s seconds (default 6; from the
 * kernel command line) before it powers the machine off. What the guest
 * costs the host meanwhile is its kernel's timer and idle loop alone.
 *
 *   MEMVISOR-IDLE-READY          printed once user space runs
 *   MEMVISOR-IDLE-DONE           printed after the idle time
 *
 * Built against Linux's nolibc (guest/guest.mk).
 */

#include "lib.h"

int main(int argc, char **argv, char **envp)
{
	const char *s = env_get(envp, "idle_s");
	unsigned long idle_s = 6;

	(void)argc;
	(void)argv;
	if (s && *s)
		idle_s = parse_num(&s);
	out("MEMVISOR-IDLE-READY\n");
	sleep((unsigned int)idle_s);
	out("MEMVISOR-IDLE-DONE\n");
	reboot(LINUX_REBOOT_CMD_POWER_OFF);
	return 0;
}
