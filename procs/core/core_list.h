/* Intrusive doubly linked list: the core keeps commands on several lists at once
 * (per nexus, per LU task set, per link queue) without allocating. */
#ifndef MTGT_CORE_LIST_H
#define MTGT_CORE_LIST_H

#include <stddef.h>
#include <stdbool.h>

struct clist_node {
	struct clist_node *prev, *next;
};

struct clist {
	struct clist_node *first, *last;
	unsigned len;
};

static inline bool clist_linked(const struct clist_node *n)
{
	return n->prev || n->next;
}

static inline void clist_push_back(struct clist *l, struct clist_node *n)
{
	n->next = NULL;
	n->prev = l->last;
	if (l->last)
		l->last->next = n;
	else
		l->first = n;
	l->last = n;
	l->len++;
}

static inline void clist_push_front(struct clist *l, struct clist_node *n)
{
	n->prev = NULL;
	n->next = l->first;
	if (l->first)
		l->first->prev = n;
	else
		l->last = n;
	l->first = n;
	l->len++;
}

/* n must be on l (a lone first element has prev == next == NULL: the caller
 * tracks membership itself). */
static inline void clist_remove(struct clist *l, struct clist_node *n)
{
	if (n->prev)
		n->prev->next = n->next;
	else
		l->first = n->next;
	if (n->next)
		n->next->prev = n->prev;
	else
		l->last = n->prev;
	n->prev = n->next = NULL;
	l->len--;
}

#define clist_entry(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))

#endif
