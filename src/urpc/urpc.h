// Umbrella header for the control RPC library. See README.md.
#pragma once

#include "urpc/call.h"         // IWYU pragma: export
#include "urpc/client.h"       // IWYU pragma: export
#include "urpc/framing.h"      // IWYU pragma: export
#include "urpc/server.h"       // IWYU pragma: export
#include "urpc/transport.h"    // IWYU pragma: export
#include "urpc/unix_socket.h"  // IWYU pragma: export
