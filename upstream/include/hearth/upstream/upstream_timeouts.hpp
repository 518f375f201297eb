#pragma once
// Per-transfer time limits for talking to an upstream. Each one, when it fires, ends the
// transfer with ErrorCode::UpstreamTimeout.

#include "hearth/core/clock.hpp"

namespace hearth::upstream {

struct UpstreamTimeouts {
  Duration connect{5000};          // TCP + TLS handshake
  Duration first_byte{60000};      // from the start of the transfer to the response head
  Duration between_chunks{30000};  // longest silence once the response has started
  Duration total{600000};          // the whole transfer, body included
};

}  // namespace hearth::upstream
