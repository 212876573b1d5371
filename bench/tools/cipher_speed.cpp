// `cipher-speed`: the CPU an SSH client cannot avoid for its cipher. Seals N bytes as SSH binary
// packets of 32 KiB payload each (RFC 4253 §6: uint32 length, padding length, payload, padding),
// out of place into a second buffer, the way a client seals what it sends; opening costs the same
// operations. Reports process CPU seconds (CLOCK_PROCESS_CPUTIME_ID) per 1e9 payload bytes.
//
// aes128-gcm@openssh.com (RFC 5647 §7.1): the length is additional authenticated data, the rest is
// encrypted, a 16-byte tag follows; the 12-byte nonce's 64-bit invocation counter goes up by one per
// packet (RFC 5647 §7.1).
// chacha20-poly1305@openssh.com (OpenSSH PROTOCOL.chacha20poly1305): per packet, a one-time Poly1305
// key from the main key's ChaCha20 keystream block 0 for nonce = sequence number, the length encrypted
// under the header key, the rest under the main key from block 1, and a Poly1305 tag over both. EVP
// ChaCha20 takes a 32-bit block counter and a 96-bit nonce, so the sequence number sits in the nonce
// differently from OpenSSH's 64/64 split; the work per byte is the same.
//
// This tool links OpenSSL only for this measurement; the rest of sshplex-bench stays crypto-free.
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <time.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "bench/tools/args.hpp"
#include "bench/tools/json_line.hpp"
#include "bench/tools/runtime.hpp"
#include "bench/tools/tools.hpp"

namespace bench::tools {

namespace {

constexpr std::size_t kPayload = 32 * 1024;
constexpr std::size_t kTagLen = 16;

struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
struct MacFree {
  void operator()(EVP_MAC* m) const { EVP_MAC_free(m); }
};
struct MacCtxFree {
  void operator()(EVP_MAC_CTX* m) const { EVP_MAC_CTX_free(m); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree>;

double process_cpu_seconds() {
  timespec ts{};
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

double wall_seconds() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

void put_u32(std::uint8_t* p, std::uint32_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 24);
  p[1] = static_cast<std::uint8_t>(v >> 16);
  p[2] = static_cast<std::uint8_t>(v >> 8);
  p[3] = static_cast<std::uint8_t>(v);
}

// One plaintext packet: length, padding length, payload, padding to the 16-byte block (at least 4).
struct Packet {
  std::vector<std::uint8_t> plain;
  std::vector<std::uint8_t> sealed;
  std::size_t body = 0;  // bytes after the 4-byte length

  Packet() {
    std::size_t padding = 16 - ((1 + kPayload) % 16);
    if (padding < 4) padding += 16;
    body = 1 + kPayload + padding;
    plain.assign(4 + body, 0);
    put_u32(plain.data(), static_cast<std::uint32_t>(body));
    plain[4] = static_cast<std::uint8_t>(padding);
    sealed.assign(plain.size() + kTagLen, 0);
  }
};

// EVP lengths are int; our packets are far below INT_MAX.
int as_int(std::size_t n) { return static_cast<int>(n); }

bool seal_gcm(EVP_CIPHER_CTX* ctx, std::array<std::uint8_t, 12>& nonce, Packet& p) {
  // The invocation counter (nonce bytes 4..11, big-endian) goes up by one per packet.
  for (std::size_t i = 12; i-- > 4;) {
    if (++nonce[i] != 0) break;
  }
  int n = 0;
  int final_len = 0;
  std::memcpy(p.sealed.data(), p.plain.data(), 4);
  return EVP_EncryptInit_ex(ctx, nullptr, nullptr, nullptr, nonce.data()) == 1 &&
         EVP_EncryptUpdate(ctx, nullptr, &n, p.plain.data(), 4) == 1 &&
         EVP_EncryptUpdate(ctx, p.sealed.data() + 4, &n, p.plain.data() + 4, as_int(p.body)) == 1 &&
         EVP_EncryptFinal_ex(ctx, p.sealed.data() + 4 + n, &final_len) == 1 &&
         EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, static_cast<int>(kTagLen), p.sealed.data() + 4 + p.body) == 1;
}

struct ChachaState {
  CipherCtx header{EVP_CIPHER_CTX_new()};
  CipherCtx main{EVP_CIPHER_CTX_new()};
  std::unique_ptr<EVP_MAC, MacFree> mac{EVP_MAC_fetch(nullptr, "POLY1305", nullptr)};
  std::unique_ptr<EVP_MAC_CTX, MacCtxFree> mac_ctx;
  std::array<std::uint8_t, 32> header_key{};
  std::array<std::uint8_t, 32> main_key{};
  std::array<std::uint8_t, 32> zeros{};
  std::array<std::uint8_t, 32> poly_key{};
};

// EVP ChaCha20's 16-byte IV: 32-bit little-endian block counter, then the 96-bit nonce.
std::array<std::uint8_t, 16> chacha_iv(std::uint32_t block, std::uint64_t seq) {
  std::array<std::uint8_t, 16> iv{};
  for (std::size_t i = 0; i < 4; ++i) iv[i] = static_cast<std::uint8_t>(block >> (8 * i));
  for (std::size_t i = 0; i < 8; ++i) iv[15 - i] = static_cast<std::uint8_t>(seq >> (8 * i));
  return iv;
}

bool chacha_xor(EVP_CIPHER_CTX* ctx, const std::uint8_t* key, std::uint32_t block, std::uint64_t seq,
                std::uint8_t* out, const std::uint8_t* in, std::size_t len) {
  const auto iv = chacha_iv(block, seq);
  int n = 0;
  return EVP_EncryptInit_ex(ctx, nullptr, nullptr, key, iv.data()) == 1 &&
         EVP_EncryptUpdate(ctx, out, &n, in, as_int(len)) == 1;
}

bool seal_chacha(ChachaState& s, std::uint64_t seq, Packet& p) {
  if (!chacha_xor(s.main.get(), s.main_key.data(), 0, seq, s.poly_key.data(), s.zeros.data(), 32) ||
      !chacha_xor(s.header.get(), s.header_key.data(), 0, seq, p.sealed.data(), p.plain.data(), 4) ||
      !chacha_xor(s.main.get(), s.main_key.data(), 1, seq, p.sealed.data() + 4, p.plain.data() + 4, p.body)) {
    return false;
  }
  const OSSL_PARAM none[] = {OSSL_PARAM_END};
  std::size_t tag_len = 0;
  return EVP_MAC_init(s.mac_ctx.get(), s.poly_key.data(), s.poly_key.size(), none) == 1 &&
         EVP_MAC_update(s.mac_ctx.get(), p.sealed.data(), 4 + p.body) == 1 &&
         EVP_MAC_final(s.mac_ctx.get(), p.sealed.data() + 4 + p.body, &tag_len, kTagLen) == 1;
}

}  // namespace

int run_cipher_speed(int argc, char** argv, int first) {
  std::string error;
  auto args = Args::parse(argc, argv, first, {"cipher", "bytes", "timeout"}, &error);
  if (!args) return report_error("cipher-speed", error);
  const std::string cipher = args->text("cipher", "");
  const bool gcm = cipher == "aes128-gcm";
  if (!gcm && cipher != "chacha20-poly1305") args->add_error("--cipher wants aes128-gcm or chacha20-poly1305");
  const std::uint64_t bytes = args->count("bytes", 0);
  if (bytes == 0) args->add_error("--bytes must be at least 1");
  args->seconds("timeout", 600);  // accepted like every tool's; the run is bounded by --bytes
  if (!args->ok()) return report_error("cipher-speed", args->error());

  const std::uint64_t packets = (bytes + kPayload - 1) / kPayload;
  Packet packet;
  // Fixed, non-secret keys: only the cost is measured.
  std::array<std::uint8_t, 16> gcm_key{};
  std::array<std::uint8_t, 12> nonce{};
  gcm_key.fill(0x42);
  nonce.fill(0x24);
  CipherCtx gcm_ctx{EVP_CIPHER_CTX_new()};
  ChachaState chacha;
  chacha.header_key.fill(0x11);
  chacha.main_key.fill(0x22);
  bool ok = false;
  if (gcm) {
    ok = gcm_ctx && EVP_EncryptInit_ex(gcm_ctx.get(), EVP_aes_128_gcm(), nullptr, gcm_key.data(), nonce.data()) == 1;
  } else if (chacha.header && chacha.main && chacha.mac) {
    chacha.mac_ctx.reset(EVP_MAC_CTX_new(chacha.mac.get()));
    ok = chacha.mac_ctx && EVP_EncryptInit_ex(chacha.header.get(), EVP_chacha20(), nullptr, nullptr, nullptr) == 1 &&
         EVP_EncryptInit_ex(chacha.main.get(), EVP_chacha20(), nullptr, nullptr, nullptr) == 1;
  }
  if (!ok) return report_error("cipher-speed", "cannot set up " + cipher + " in OpenSSL");

  const double cpu_start = process_cpu_seconds();
  const double wall_start = wall_seconds();
  for (std::uint64_t seq = 0; seq < packets; ++seq) {
    if (!(gcm ? seal_gcm(gcm_ctx.get(), nonce, packet) : seal_chacha(chacha, seq, packet))) {
      return report_error("cipher-speed", "sealing packet " + std::to_string(seq) + " failed");
    }
  }
  const double cpu = process_cpu_seconds() - cpu_start;
  const double wall = wall_seconds() - wall_start;
  const std::uint64_t sealed = packets * kPayload;
  JsonLine()
      .add("bytes", sealed)
      .add("packets", packets)
      .add("cpu_seconds", cpu)
      .add("seconds", wall)
      .add("cpu_s_per_gb", cpu / (static_cast<double>(sealed) / 1e9))
      .print();
  return 0;
}

}  // namespace bench::tools
