// The event-scan harness: checks a stream's objects with one EventScanner each time, as the
// OpenAI-dialect upstream does, STREAMS times over. Count its instructions with callgrind and
// subtract a run of 0 streams (bench/README.md gives the commands).
// Usage: hearth_bench_event_scan mock|openai STREAMS

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "hearth/core/wire_object.hpp"
#include "stream_events.hpp"

int main(int argc, char** argv) {
  const std::string which = argc > 1 ? argv[1] : "";
  if (argc != 3 || (which != "mock" && which != "openai")) {
    std::fprintf(stderr, "usage: %s mock|openai STREAMS\n", argv[0]);
    return 2;
  }
  const std::vector<std::string> events = which == "mock" ? hearth::bench::mock_stream_events()
                                                          : hearth::bench::openai_shaped_stream_events();
  const long streams = std::strtol(argv[2], nullptr, 10);
  for (long n = 0; n < streams; ++n) {
    hearth::EventScanner scanner;
    for (const std::string& event : events) {
      if (!scanner.scan(event)) {
        std::fprintf(stderr, "an event was refused: %s\n", event.c_str());
        return 1;
      }
    }
  }
  std::printf("%ld streams of %zu events checked\n", streams, events.size());
  return 0;
}
