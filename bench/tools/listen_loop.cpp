#include "bench/tools/listen_loop.hpp"

#include "bench/tools/args.hpp"
#include "bench/tools/json_line.hpp"
#include "bench/tools/net.hpp"

namespace bench::tools {

int run_listen_loop(Runtime& runtime, uv_tcp_t& listener, void* owner, const sockaddr_in& bind,
                    double timeout_seconds, uv_connection_cb on_connection, const std::function<void()>& close_all) {
  runtime.start(timeout_seconds, [&runtime](Runtime::Stop why) {
    if (why == Runtime::Stop::Signal) {
      runtime.finish(0);
    } else {
      runtime.fail_timeout();
    }
  });
  uv_tcp_init(runtime.loop(), &listener);
  listener.data = owner;
  const int r = tcp_listen(&listener, bind, on_connection);
  if (r != 0) {
    runtime.fail(1, "cannot listen on " + describe(bind) + ": " + uv_error_text(r));
  } else {
    JsonLine().add("ready", true).print();
  }
  return runtime.run([&listener, &close_all] {
    uv_close(as_handle(&listener), nullptr);
    close_all();
  });
}

}  // namespace bench::tools
