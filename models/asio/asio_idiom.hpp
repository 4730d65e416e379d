// The Asio idiom the asio model is written in, shared with its bare program
// (BM_asio_sleepers in benchmarks/asio_bench.cpp), so that the two cannot
// drift apart: the io_context's own executor type rather than the default
// any_io_executor (no type erasure on every timer wait and resumption, as a
// user tuning Asio would write it), awaitable coroutines on it, and a timer
// that reads the harness's clock.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/basic_waitable_timer.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <type_traits>

#include "harness/clock.hpp"

namespace ccbench::asio_idiom {

using io_executor = boost::asio::io_context::executor_type;
template <typename T>
using awaitable = boost::asio::awaitable<T, io_executor>;
// A waitable timer takes any Clock. On ccbench::clock, a task resuming after a
// wait on one io thread reuses the reading Asio's timer queue took before it
// fired the timer (clock::last()), as the loop's tasks do: a shared stamp
// instead of a second clock read a task (26 ns on our VM). ccbench::clock is
// CLOCK_MONOTONIC, as steady_clock is, so its time points are steady_clock's.
using timer =
    boost::asio::basic_waitable_timer<ccbench::clock, boost::asio::wait_traits<ccbench::clock>,
                                      io_executor>;
inline constexpr boost::asio::use_awaitable_t<io_executor> use_awaitable;
static_assert(std::is_same_v<timer::time_point, ccbench::time_point>);

}  // namespace ccbench::asio_idiom
