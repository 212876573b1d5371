// Intrusive list of live objects (connections, channels) so a tool can close everything it owns at
// shutdown without a per-object allocation or an O(n) erase.
#pragma once

#include <cstddef>

namespace bench::tools {

template <class T>
struct ListHook {
  ListHook* prev = nullptr;
  ListHook* next = nullptr;
  T* owner = nullptr;
  bool linked() const { return prev != nullptr; }
};

// T must have a public member `ListHook<T> hook`.
template <class T>
class LiveList {
 public:
  LiveList() { head_.prev = head_.next = &head_; }
  LiveList(const LiveList&) = delete;
  LiveList& operator=(const LiveList&) = delete;

  void push_back(T& item) {
    ListHook<T>& h = item.hook;
    h.owner = &item;
    h.prev = head_.prev;
    h.next = &head_;
    head_.prev->next = &h;
    head_.prev = &h;
    ++size_;
  }
  // No-op when the item is not linked.
  void remove(T& item) {
    ListHook<T>& h = item.hook;
    if (!h.linked()) return;
    h.prev->next = h.next;
    h.next->prev = h.prev;
    h.prev = h.next = nullptr;
    --size_;
  }
  T* front() const { return head_.next == &head_ ? nullptr : head_.next->owner; }
  bool empty() const { return size_ == 0; }
  std::size_t size() const { return size_; }

  // Calls fn(item) for each item; fn may remove the item it is given (and only that one).
  template <class Fn>
  void for_each(Fn&& fn) {
    for (ListHook<T>* h = head_.next; h != &head_;) {
      ListHook<T>* next = h->next;
      fn(*h->owner);
      h = next;
    }
  }

 private:
  ListHook<T> head_;
  std::size_t size_ = 0;
};

}  // namespace bench::tools
