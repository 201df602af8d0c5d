// Umbrella header: every public type of converge (fmt support stays opt-in in converge/fmt.hpp).
// SPDX-License-Identifier: MIT
#pragma once

#include <converge/anti_entropy.hpp>
#include <converge/broadcast_message.hpp>
#include <converge/broadcast_sync.hpp>
#include <converge/causal_order.hpp>
#include <converge/codec.hpp>
#include <converge/decode_limits.hpp>
#include <converge/decode_result.hpp>
#include <converge/encoding.hpp>
#include <converge/delta_crdt.hpp>
#include <converge/error.hpp>
#include <converge/g_map.hpp>
#include <converge/g_counter.hpp>
#include <converge/g_set.hpp>
#include <converge/lww_register.hpp>
#include <converge/max_register.hpp>
#include <converge/or_set.hpp>
#include <converge/pn_counter.hpp>
#include <converge/presence_map.hpp>
#include <converge/repair_request.hpp>
#include <converge/replica_id.hpp>
#include <converge/retirable_counter_map.hpp>
#include <converge/sync_message.hpp>
#include <converge/vector_clock.hpp>
#include <converge/wide_int.hpp>
