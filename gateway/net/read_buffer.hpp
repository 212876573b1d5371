#pragma once
// The one read buffer every stream on the loop reads into (SSH links and forwarded connections).
// libuv asks for a buffer, reads, and runs the read callback before it asks again, and every reader
// hands the bytes on (or copies what it must keep) before returning. So idle connections hold no
// buffer at all and a read costs no allocation.
#include <uv.h>

namespace gateway::net {

// A uv_alloc_cb: hands out the shared buffer (256 KiB, large reads mean few system calls).
void shared_read_buffer(uv_handle_t* handle, size_t suggested_size, uv_buf_t* buf);

}  // namespace gateway::net
