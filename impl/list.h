// A minimal circular doubly linked list in the shape of the kernel's list_head, so
// code ported from mm/zbud.c keeps its list operations.
#pragma once

#include <cstddef>

struct list_head {
  list_head* next;
  list_head* prev;
};

inline void INIT_LIST_HEAD(list_head* h) { h->next = h->prev = h; }
inline bool list_empty(const list_head* h) { return h->next == h; }

inline void list_add(list_head* n, list_head* head) {  // at the head
  n->next = head->next;
  n->prev = head;
  head->next->prev = n;
  head->next = n;
}

// Unlinks and re-initialises, so deleting twice is harmless (list_del_init).
inline void list_del_init(list_head* n) {
  n->prev->next = n->next;
  n->next->prev = n->prev;
  INIT_LIST_HEAD(n);
}

// Puts n where old was (old's neighbours now point at n).
inline void list_replace(list_head* old, list_head* n) {
  if (old->next == old) {
    INIT_LIST_HEAD(n);
    return;
  }
  n->next = old->next;
  n->prev = old->prev;
  n->next->prev = n;
  n->prev->next = n;
}

template <class T>
T* list_entry_of(list_head* node, list_head T::*member) {
  const std::size_t offset =
      reinterpret_cast<std::size_t>(&(static_cast<T*>(nullptr)->*member));
  return reinterpret_cast<T*>(reinterpret_cast<char*>(node) - offset);
}
