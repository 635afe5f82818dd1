/* SPDX-License-Identifier: MIT */
/*
 * Reading the flattened device tree a test is given (a1 at entry): one
 * walk over every property of every node, for tests that look up what
 * memvisor describes (the CPUs' ISA, the virtio slots, /chosen).
 */
#ifndef BAREMETAL_FDT_H
#define BAREMETAL_FDT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FDT_MAGIC 0xd00dfeedu

/*
 * Called for each property of each node, in the tree's order: depth 1 is
 * the root (node ""), node is the node's name with its unit address
 * ("virtio_mmio@10001000"), val[0..len) the property's value. Called once
 * more at the end of each node with prop and val NULL, len 0. Return false
 * to end the walk there.
 */
typedef bool fdt_prop_fn(void *arg, int depth, const char *node,
			 const char *prop, const uint8_t *val, uint32_t len);

/*
 * Walk the tree at dtb. Returns 0 when the walk ended (at the end of the
 * tree or because fn said so), -1 when dtb holds no tree (bad magic), -2
 * when the tree is malformed (an unknown token, nodes nested too deep).
 */
int fdt_walk(unsigned long dtb, fdt_prop_fn *fn, void *arg);

/* A big-endian cell of the tree. */
uint32_t fdt_be32(const void *p);

/* C strings, freestanding. */
size_t fdt_strlen(const char *s);
bool fdt_streq(const char *a, const char *b);

#endif
