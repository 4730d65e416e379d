#include "harness/net_protocol.hpp"

#include <arpa/inet.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <bit>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <stdexcept>

#include "harness/error.hpp"

namespace ccbench::net {
namespace {

static_assert(std::endian::native == std::endian::little, "the wire format is little-endian");

template <class T>
void put(std::byte* at, T v) noexcept {
  std::memcpy(at, &v, sizeof v);
}
template <class T>
T get(const std::byte* at) noexcept {
  T v;
  std::memcpy(&v, at, sizeof v);
  return v;
}

std::string errno_text(int e) { return std::strerror(e); }

}  // namespace

std::string_view to_string(reply_status s) {
  switch (s) {
    case reply_status::ok:
      return "ok";
    case reply_status::too_large:
      return "reply size past the server's bound";
    case reply_status::too_long:
      return "delay past the server's bound";
    case reply_status::busy:
      return "server at its connection cap";
  }
  return "?";
}

std::array<std::byte, request_size> encode(const request& r) noexcept {
  std::array<std::byte, request_size> out;
  put(out.data(), request_magic);
  put(out.data() + 4, r.reply_bytes);
  put(out.data() + 8, r.delay_ns);
  put(out.data() + 16, r.nonce);
  return out;
}

bool decode(std::span<const std::byte, request_size> bytes, request& out) noexcept {
  if (get<std::uint32_t>(bytes.data()) != request_magic) return false;
  out.reply_bytes = get<std::uint32_t>(bytes.data() + 4);
  out.delay_ns = get<std::uint64_t>(bytes.data() + 8);
  out.nonce = get<std::uint64_t>(bytes.data() + 16);
  return true;
}

std::array<std::byte, reply_header_size> encode(const reply_header& h) noexcept {
  std::array<std::byte, reply_header_size> out;
  put(out.data(), reply_magic);
  put(out.data() + 4, static_cast<std::uint32_t>(h.status));
  put(out.data() + 8, h.size);
  return out;
}

bool decode(std::span<const std::byte, reply_header_size> bytes, reply_header& out) noexcept {
  if (get<std::uint32_t>(bytes.data()) != reply_magic) return false;
  const auto status = get<std::uint32_t>(bytes.data() + 4);
  if (status > static_cast<std::uint32_t>(reply_status::busy)) return false;
  out.status = static_cast<reply_status>(status);
  out.size = get<std::uint64_t>(bytes.data() + 8);
  return true;
}

void fill_payload(std::uint64_t nonce, std::uint64_t offset, std::span<std::byte> out) noexcept {
  std::size_t done = 0;
  while (done < out.size()) {
    const std::uint64_t at = offset + done;
    const std::uint64_t word = payload_word(nonce, at / 8);
    const std::size_t skip = at % 8;
    const std::size_t n = std::min<std::size_t>(8 - skip, out.size() - done);
    std::memcpy(out.data() + done, reinterpret_cast<const std::byte*>(&word) + skip, n);
    done += n;
  }
}

void digest::add(std::span<const std::byte> bytes) noexcept {
  std::size_t i = 0;
  // Finish a partial word byte by byte, then whole words, then the rest.
  while (i < bytes.size() && offset_ % 8 != 0) {
    word_ |= static_cast<std::uint64_t>(bytes[i]) << (8 * (offset_ % 8));
    ++i;
    if (++offset_ % 8 == 0) {
      sum_ += word_;
      word_ = 0;
    }
  }
  for (; i + 8 <= bytes.size(); i += 8) {
    sum_ += get<std::uint64_t>(bytes.data() + i);
    offset_ += 8;
  }
  for (; i < bytes.size(); ++i) {
    word_ |= static_cast<std::uint64_t>(bytes[i]) << (8 * (offset_ % 8));
    ++offset_;
  }
}

std::uint64_t digest::value() const noexcept { return sum_ + word_; }

trip_error reply_reader::consume(std::span<const std::byte> bytes) noexcept {
  const std::size_t n = bytes.size();
  if (n == 0) return trip_error::closed;
  std::size_t used = 0;
  if (got_ < reply_header_size) {
    used = std::min<std::size_t>(n, reply_header_size - static_cast<std::size_t>(got_));
    std::memcpy(head_.data() + got_, bytes.data(), used);
    got_ += used;
    if (got_ == reply_header_size) {
      reply_header h;
      if (!decode(head_, h)) return trip_error::malformed;
      if (h.status != reply_status::ok) return trip_error::refused;
      if (h.size != expected_) return trip_error::wrong_size;
    }
  }
  digest_.add(bytes.subspan(used));
  got_ += n - used;
  return trip_error::none;
}

std::uint64_t expected_digest(std::uint64_t nonce, std::uint64_t size) noexcept {
  // Sum over i < n of (nonce + i) K = K (n nonce + n (n - 1) / 2), mod 2^64.
  const std::uint64_t n = size / 8;
  const std::uint64_t tri = n % 2 == 0 ? (n / 2) * (n - 1) : n * ((n - 1) / 2);
  std::uint64_t sum = (n * nonce + tri) * 0x9E3779B97F4A7C15ull;
  if (const std::uint64_t rest = size % 8; rest != 0) {
    sum += payload_word(nonce, n) & ((std::uint64_t{1} << (8 * rest)) - 1);
  }
  return sum;
}

std::string endpoint::text() const {
  char buf[INET_ADDRSTRLEN] = {};
  inet_ntop(AF_INET, &addr.sin_addr, buf, sizeof buf);
  return std::string(buf) + ":" + std::to_string(ntohs(addr.sin_port));
}

bool endpoint::loopback() const noexcept { return (ntohl(addr.sin_addr.s_addr) >> 24) == 127; }

endpoint parse_endpoint(std::string_view text, std::string_view flag, bool allow_zero_port) {
  auto bad = [&](const std::string& why) {
    return config_error(std::string(flag) + " '" + std::string(text) + "': " + why);
  };
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos) throw bad("expected ADDR:PORT, e.g. 127.0.0.1:7000");
  std::string host(text.substr(0, colon));
  const std::string_view port_text = text.substr(colon + 1);
  unsigned port = 0;
  const auto [end, ec] =
      std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || end != port_text.data() + port_text.size() || port > 65535 ||
      (port == 0 && !allow_zero_port)) {
    throw bad(std::string("port '") + std::string(port_text) + "' must be a number from " +
              (allow_zero_port ? "0" : "1") + " to 65535");
  }
  if (host == "localhost") host = "127.0.0.1";
  endpoint e;
  e.addr.sin_family = AF_INET;
  e.addr.sin_port = htons(static_cast<std::uint16_t>(port));
  if (inet_pton(AF_INET, host.c_str(), &e.addr.sin_addr) != 1) {
    throw bad("address '" + host + "' is not a dotted IPv4 address");
  }
  return e;
}

int connect_raw(const endpoint& to) noexcept {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&to.addr), sizeof to.addr) != 0) {
    const int e = errno;
    ::close(fd);
    errno = e;
    return -1;
  }
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

int connect_blocking(const endpoint& to) {
  const int fd = connect_raw(to);
  if (fd < 0) {
    throw std::runtime_error("cannot connect to the delay server at " + to.text() + ": " +
                             errno_text(errno));
  }
  return fd;
}

std::string_view to_string(trip_error e) {
  switch (e) {
    case trip_error::none:
      return "ok";
    case trip_error::lost:
      return "lost the connection to the delay server";
    case trip_error::closed:
      return "the delay server closed the connection mid-reply";
    case trip_error::malformed:
      return "the delay server sent a malformed reply";
    case trip_error::refused:
      return "the delay server refused the request";
    case trip_error::wrong_size:
      return "the delay server's reply has the wrong size";
  }
  return "?";
}

namespace {

trip_error send_all(int fd, const std::byte* p, std::size_t n) noexcept {
  while (n > 0) {
    const ssize_t k = ::send(fd, p, n, MSG_NOSIGNAL);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) return trip_error::lost;
    p += k;
    n -= static_cast<std::size_t>(k);
  }
  return trip_error::none;
}

}  // namespace

trip_error round_trip_raw(int fd, const request& r, std::uint64_t& out) noexcept {
  const auto req = encode(r);
  if (const trip_error e = send_all(fd, req.data(), req.size()); e != trip_error::none) return e;
  reply_reader reader(r);
  std::byte buf[16384];
  while (!reader.done()) {
    const std::span<std::byte> into = reader.next(buf);
    const ssize_t n = ::recv(fd, into.data(), into.size(), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return trip_error::lost;
    if (const trip_error e = reader.consume(into.first(static_cast<std::size_t>(n)));
        e != trip_error::none) {
      return e;
    }
  }
  out = reader.digest_value();
  return trip_error::none;
}

std::uint64_t round_trip_blocking(int fd, const request& r) {
  std::uint64_t digest_value = 0;
  const trip_error e = round_trip_raw(fd, r, digest_value);
  if (e == trip_error::lost) {
    throw std::runtime_error(std::string(to_string(e)) + ": " + errno_text(errno));
  }
  if (e != trip_error::none) throw std::runtime_error(std::string(to_string(e)));
  return digest_value;
}

}  // namespace ccbench::net
