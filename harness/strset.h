/*
 * strset.h: a set of strings (open addressing, FNV-1a). The sweep keeps
 * the keys of its points in one: the grid drops a point whose key an
 * earlier block already gave, resume skips the points results.csv holds.
 * Thousands of keys, looked up once per point: a sorted array would do as
 * well, but the set also answers "seen before?" while rows are added.
 */
#ifndef RB_STRSET_H
#define RB_STRSET_H

typedef struct rb_strset rb_strset;

/* NULL when out of memory. */
rb_strset *rb_strset_new(void);
/* Returns 1 if added, 0 if it was there. Dies when out of memory. */
int rb_strset_add(rb_strset *s, const char *key);
int rb_strset_has(const rb_strset *s, const char *key);
void rb_strset_free(rb_strset *s);

#endif
