// The delay server's wire protocol (`ccbench serve`, `net` steps), shared by
// the server and every model's client. Tiny and length-prefixed, little-endian:
//
//   request (24 bytes): u32 magic 'CCBQ', u32 reply size B, u64 delay D in ns,
//                       u64 nonce
//   reply:              u32 magic 'CCBR', u32 status, u64 payload size, then
//                       that many payload bytes (B when status is ok, else 0)
//
// The server sends the reply D after the request arrived. The payload is
// derived from (nonce, B) (payload_word()), so a client can verify it and fold
// a digest of the bytes it read into its task's checksum, while the harness
// computes the same digest in closed form (expected_digest()) without the
// bytes: a model that skips the read is caught. A request the server cannot
// parse closes its connection; one past the server's bounds gets a refusal
// status and the connection is closed after it.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include <netinet/in.h>

#include "harness/clock.hpp"

namespace ccbench::net {

inline constexpr std::uint32_t request_magic = 0x51424343;  // "CCBQ" in memory order
inline constexpr std::uint32_t reply_magic = 0x52424343;    // "CCBR"
inline constexpr std::size_t request_size = 24;
inline constexpr std::size_t reply_header_size = 16;
/// A `net` step's reply when its spec gives no size.
inline constexpr std::uint32_t default_reply_bytes = 64;
/// The server's bounds unless told otherwise: what one request may make it hold.
inline constexpr std::uint32_t max_reply_bytes = 16u << 20;
inline constexpr nanoseconds max_delay = std::chrono::seconds(60);

enum class reply_status : std::uint32_t {
  ok = 0,
  too_large = 1,  ///< the reply size is past the server's bound
  too_long = 2,   ///< the delay is past the server's bound
  busy = 3,       ///< the server holds its cap of connections
};
std::string_view to_string(reply_status s);

struct request {
  std::uint32_t reply_bytes = 0;
  std::uint64_t delay_ns = 0;
  std::uint64_t nonce = 0;
};

struct reply_header {
  reply_status status = reply_status::ok;
  std::uint64_t size = 0;
};

std::array<std::byte, request_size> encode(const request& r) noexcept;
/// False when `bytes` is not a request (wrong magic).
bool decode(std::span<const std::byte, request_size> bytes, request& out) noexcept;
std::array<std::byte, reply_header_size> encode(const reply_header& h) noexcept;
/// False when `bytes` is not a reply header (wrong magic, unknown status).
bool decode(std::span<const std::byte, reply_header_size> bytes, reply_header& out) noexcept;

/// Word `i` of the payload for `nonce` (little-endian on the wire; the last
/// word is cut to the payload's size).
constexpr std::uint64_t payload_word(std::uint64_t nonce, std::uint64_t i) noexcept {
  return (nonce + i) * 0x9E3779B97F4A7C15ull;
}
/// Fills `out` with the payload bytes at offset `offset` of the reply for `nonce`.
void fill_payload(std::uint64_t nonce, std::uint64_t offset, std::span<std::byte> out) noexcept;

/// A running digest of payload bytes as they arrive in any chunks: the wrapping
/// sum of the payload's (little-endian, zero-padded) 64-bit words.
class digest {
 public:
  void add(std::span<const std::byte> bytes) noexcept;
  std::uint64_t value() const noexcept;
  std::uint64_t bytes_seen() const noexcept { return offset_; }

 private:
  std::uint64_t sum_ = 0;
  std::uint64_t word_ = 0;  // the word being assembled
  std::uint64_t offset_ = 0;
};

/// What digest gives for the whole payload of (nonce, size), in O(1).
std::uint64_t expected_digest(std::uint64_t nonce, std::uint64_t size) noexcept;

/// What went wrong in a round trip, for callers that cannot throw.
enum class trip_error : std::uint8_t { none, lost, closed, malformed, refused, wrong_size };
std::string_view to_string(trip_error e);

/// Reads one reply to `r` from bytes as they arrive, in any chunks: read at
/// most wanted() bytes into a buffer of the caller's, then consume() them;
/// done() once the whole reply is in, digest_value() then being its
/// payload's digest. Checks the header as soon as it is complete. Any
/// thread; no allocation; small (a coroutine frame can hold it).
class reply_reader {
 public:
  explicit reply_reader(const request& r) noexcept
      : expected_(r.reply_bytes), total_(reply_header_size + std::uint64_t{r.reply_bytes}) {}
  /// Bytes of the reply still to come.
  std::uint64_t wanted() const noexcept { return total_ - got_; }
  /// `bytes` were read (empty: the peer closed). none, or what is wrong.
  trip_error consume(std::span<const std::byte> bytes) noexcept;
  bool done() const noexcept { return got_ == total_; }
  std::uint64_t digest_value() const noexcept { return digest_.value(); }
  /// `buf` cut to what a read should ask for.
  std::span<std::byte> next(std::span<std::byte> buf) const noexcept {
    return buf.first(static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), wanted())));
  }

 private:
  std::array<std::byte, reply_header_size> head_;
  digest digest_;
  std::uint64_t expected_, total_, got_ = 0;
};

/// A TCP endpoint: an IPv4 address and a port.
struct endpoint {
  sockaddr_in addr{};
  std::string text() const;  ///< "127.0.0.1:PORT"
  bool loopback() const noexcept;
};
/// Parses "ADDR:PORT" (a dotted IPv4 address, or `localhost`); throws
/// config_error naming `flag` otherwise. `allow_zero_port`: port 0 (the kernel
/// picks one) is allowed, for a listening address.
endpoint parse_endpoint(std::string_view text, std::string_view flag, bool allow_zero_port);

// ---- blocking client (a worker thread's or process's connection) -----------

/// Connects to `to` (blocking, TCP_NODELAY, close-on-exec). Throws
/// std::runtime_error naming the address when it cannot.
int connect_blocking(const endpoint& to);
/// round_trip_blocking() without exceptions or allocation (a forked worker
/// process can run it): the digest into `digest`, or what went wrong.
trip_error round_trip_raw(int fd, const request& r, std::uint64_t& digest) noexcept;
/// connect_blocking() without exceptions: the descriptor, or -1 (errno set).
int connect_raw(const endpoint& to) noexcept;

/// One round trip on `fd`: sends `r`, reads the whole reply, checks it, and
/// returns the payload's digest. Throws std::runtime_error on a refusal, a
/// short or malformed reply, or a lost connection (never hangs on one).
std::uint64_t round_trip_blocking(int fd, const request& r);

}  // namespace ccbench::net
