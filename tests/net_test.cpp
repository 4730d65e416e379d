// The delay server's protocol, the server itself (bad requests, bounds, a
// client that leaves mid-reply, the connection cap) and the `net` step's spec.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <random>
#include <thread>

#include "harness/cli/registry.hpp"
#include "harness/error.hpp"
#include "harness/net_protocol.hpp"
#include "harness/step_source.hpp"
#include "harness/step_work.hpp"
#include "harness/workload.hpp"

namespace ccbench {
namespace {

using namespace std::chrono_literals;

TEST(NetProtocol, RequestsAndRepliesRoundTrip) {
  const net::request r{4096, 12'345'678, 0xDEADBEEFCAFEull};
  net::request back;
  ASSERT_TRUE(net::decode(net::encode(r), back));
  EXPECT_EQ(back.reply_bytes, 4096u);
  EXPECT_EQ(back.delay_ns, 12'345'678u);
  EXPECT_EQ(back.nonce, 0xDEADBEEFCAFEull);
  auto bytes = net::encode(r);
  bytes[0] = std::byte{'X'};
  EXPECT_FALSE(net::decode(bytes, back)) << "a request with the wrong magic was accepted";

  net::reply_header h{net::reply_status::too_long, 0};
  net::reply_header hb;
  ASSERT_TRUE(net::decode(net::encode(h), hb));
  EXPECT_EQ(hb.status, net::reply_status::too_long);
  auto hbytes = net::encode(h);
  hbytes[4] = std::byte{77};  // an unknown status
  EXPECT_FALSE(net::decode(hbytes, hb));
}

TEST(NetProtocol, DigestOfThePayloadInAnyChunksMatchesTheClosedForm) {
  std::mt19937_64 rng(7);
  for (std::uint64_t size : {0ull, 1ull, 7ull, 8ull, 9ull, 64ull, 4099ull, 70'001ull}) {
    const std::uint64_t nonce = rng();
    std::vector<std::byte> payload(size);
    net::fill_payload(nonce, 0, payload);
    net::digest d;
    std::size_t at = 0;
    while (at < size) {
      const std::size_t n = std::min<std::size_t>(size - at, 1 + rng() % 5000);
      d.add(std::span(payload).subspan(at, n));
      at += n;
    }
    EXPECT_EQ(d.value(), net::expected_digest(nonce, size)) << "size " << size;
    if (size > 0) {
      payload[size / 2] ^= std::byte{1};  // one flipped bit changes it
      net::digest bad;
      bad.add(payload);
      EXPECT_NE(bad.value(), net::expected_digest(nonce, size)) << "size " << size;
    }
  }
  // The payload at an offset is the same bytes as from the start.
  std::vector<std::byte> whole(100), part(37);
  net::fill_payload(42, 0, whole);
  net::fill_payload(42, 13, part);
  EXPECT_TRUE(std::equal(part.begin(), part.end(), whole.begin() + 13));
}

TEST(NetProtocol, EndpointsAreParsedOrRefusedWithTheFlagNamed) {
  EXPECT_EQ(net::parse_endpoint("127.0.0.1:7000", "--server", false).text(), "127.0.0.1:7000");
  EXPECT_EQ(net::parse_endpoint("localhost:80", "--server", false).text(), "127.0.0.1:80");
  EXPECT_TRUE(net::parse_endpoint("127.0.0.1:0", "--listen", true).loopback());
  EXPECT_FALSE(net::parse_endpoint("10.1.2.3:9", "--listen", true).loopback());
  for (const char* bad :
       {"127.0.0.1", "127.0.0.1:0", "127.0.0.1:70000", "host:80", ":80", "127.0.0.1:8x"}) {
    try {
      net::parse_endpoint(bad, "--server", false);
      ADD_FAILURE() << bad << " was accepted";
    } catch (const config_error& e) {
      EXPECT_NE(std::string(e.what()).find("--server '" + std::string(bad) + "'"),
                std::string::npos)
          << e.what();
    }
  }
}

TEST(NetStep, SpecParsesWithAnOptionalReplySize) {
  const workload w = workload::parse("net:10ms, net:~2ms:16KiB@50%, net:1ms:64B, net:1ms:1MiB");
  ASSERT_EQ(w.steps().size(), 4u);
  EXPECT_EQ(w.steps()[0].kind, step_kind::net);
  EXPECT_EQ(w.steps()[0].bytes, net::default_reply_bytes);
  EXPECT_EQ(w.steps()[1].bytes, 16384u);
  EXPECT_TRUE(w.steps()[1].exponential);
  EXPECT_EQ(w.steps()[1].percent, 50.0);
  EXPECT_EQ(w.text(), "net:10ms,net:~2ms:16KiB@50%,net:1ms,net:1ms:1MiB");
  EXPECT_EQ(workload::parse(w.text()).text(), w.text());
  EXPECT_TRUE(w.has(step_kind::net));
  EXPECT_EQ(w.mean_time(step_kind::net), 13ms);

  for (const char* bad : {"io:1ms:4KiB", "net:1ms:17MiB", "net:1ms:3xB", "net:1ms:"}) {
    EXPECT_THROW(workload::parse(bad), config_error) << bad;
  }
}

TEST(NetStep, EachTaskDrawsANonceAndTheChecksumFoldsTheReplyDigest) {
  const step_source src(workload::parse("net:1ms:100B,cpu:10us"), 1, 1.0);
  step a, b;
  ASSERT_TRUE(src.draw(1, 0, a));
  ASSERT_TRUE(src.draw(2, 0, b));
  EXPECT_EQ(a.kind, step_kind::net);
  EXPECT_EQ(a.rounds, 100u);
  EXPECT_NE(a.seed, b.seed) << "two tasks drew the same nonce";
  EXPECT_NE(src.expected_checksum(1), 0u);
  // Without a cpu step the net step alone still feeds the checksum.
  const step_source only(workload::parse("net:1ms"), 1, 1.0);
  ASSERT_TRUE(only.draw(5, 0, a));
  EXPECT_EQ(only.expected_checksum(5), fold_checksum(0, net::expected_digest(a.seed, 64)));
}

// A server on a thread of this process, on loopback at a kernel-picked port.
class DelayServer : public testing::Test {
 protected:
  void start(std::int64_t max_connections = 0) {
    server_ = make_delay_server(net::parse_endpoint("127.0.0.1:0", "", true), 1, max_connections);
    thread_ = std::thread([this] { server_->run(); });
  }
  std::string stop() {
    server_->stop();
    thread_.join();
    return server_->report_line();
  }
  void TearDown() override {
    if (thread_.joinable()) stop();
  }
  int connect() { return net::connect_blocking(server_->address()); }
  // One whole reply to a raw request; its header's status.
  static net::reply_status status_of(int fd) {
    std::array<std::byte, net::reply_header_size> head;
    std::size_t got = 0;
    while (got < head.size()) {
      const ssize_t n = ::recv(fd, head.data() + got, head.size() - got, 0);
      if (n <= 0) throw std::runtime_error("closed");
      got += static_cast<std::size_t>(n);
    }
    net::reply_header h;
    if (!net::decode(head, h)) throw std::runtime_error("malformed");
    return h.status;
  }
  static bool closed_by_peer(int fd) {
    char c;
    return ::recv(fd, &c, 1, 0) == 0;
  }
  std::unique_ptr<delay_server_handle> server_;
  std::thread thread_;
};

TEST_F(DelayServer, RepliesAfterTheDelayWithTheVerifiablePayload) {
  start();
  EXPECT_TRUE(server_->address().loopback());
  const int fd = connect();
  for (std::uint32_t size : {0u, 64u, 100'003u}) {
    const auto t0 = std::chrono::steady_clock::now();
    const std::uint64_t d = net::round_trip_blocking(fd, {size, 20'000'000, 99 + size});
    EXPECT_GE(std::chrono::steady_clock::now() - t0, 20ms) << "a reply came before its delay";
    EXPECT_EQ(d, net::expected_digest(99 + size, size));
  }
  ::close(fd);
  const std::string report = stop();
  EXPECT_NE(report.find("requests=3 "), std::string::npos) << report;
}

TEST_F(DelayServer, ABadRequestClosesOnlyItsConnectionAndIsCounted) {
  start();
  const int bad = connect();
  const char junk[net::request_size] = "GET / HTTP/1.1\r\n\r\n";
  ASSERT_EQ(::send(bad, junk, sizeof junk, MSG_NOSIGNAL), static_cast<ssize_t>(sizeof junk));
  EXPECT_TRUE(closed_by_peer(bad)) << "the server kept a connection that sent garbage";
  ::close(bad);
  // Past the bounds: refused with a status, then closed.
  for (net::request r :
       {net::request{net::max_reply_bytes + 1, 0, 1}, net::request{8, 61'000'000'000ull, 1}}) {
    const int fd = connect();
    const auto bytes = net::encode(r);
    ASSERT_EQ(::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL), 24);
    EXPECT_NE(status_of(fd), net::reply_status::ok);
    EXPECT_TRUE(closed_by_peer(fd));
    ::close(fd);
  }
  const int good = connect();
  EXPECT_EQ(net::round_trip_blocking(good, {64, 0, 5}), net::expected_digest(5, 64));
  ::close(good);
  const std::string report = stop();
  EXPECT_NE(report.find("bad_requests=1 "), std::string::npos) << report;
  EXPECT_NE(report.find("refused=2 "), std::string::npos) << report;
}

TEST_F(DelayServer, AClientThatLeavesMidReplyIsCountedAndOthersGoOn) {
  start();
  const int fd = connect();
  const auto bytes = net::encode(net::request{net::max_reply_bytes, 0, 3});
  ASSERT_EQ(::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL), 24);
  char some[1000];
  ASSERT_GT(::recv(fd, some, sizeof some, 0), 0);
  // Close with unread data: the kernel resets the connection.
  ::close(fd);
  // A half-sent request, then gone.
  const int half = connect();
  ASSERT_EQ(::send(half, bytes.data(), 10, MSG_NOSIGNAL), 10);
  ::close(half);
  const int good = connect();
  EXPECT_EQ(net::round_trip_blocking(good, {1000, 1'000'000, 8}), net::expected_digest(8, 1000));
  ::close(good);
  std::this_thread::sleep_for(50ms);  // the server notices the reset
  const std::string report = stop();
  EXPECT_NE(report.find("disconnects=2 "), std::string::npos) << report;
  EXPECT_NE(report.find("requests=1 "), std::string::npos) << report;
}

TEST_F(DelayServer, PastItsConnectionCapItRefusesAndCounts) {
  start(2);
  EXPECT_EQ(server_->max_connections(), 2);
  const int a = connect(), b = connect();
  EXPECT_EQ(net::round_trip_blocking(a, {8, 0, 1}), net::expected_digest(1, 8));
  EXPECT_EQ(net::round_trip_blocking(b, {8, 0, 2}), net::expected_digest(2, 8));
  const int c = connect();
  EXPECT_EQ(status_of(c), net::reply_status::busy);
  try {
    net::round_trip_blocking(c, {8, 0, 3});
    ADD_FAILURE() << "a connection past the cap was served";
  } catch (const std::runtime_error&) {
  }
  for (int fd : {a, b, c}) ::close(fd);
  const std::string report = stop();
  EXPECT_NE(report.find("refused=1 "), std::string::npos) << report;
}

}  // namespace
}  // namespace ccbench
