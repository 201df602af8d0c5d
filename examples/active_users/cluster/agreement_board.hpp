// Whether the replicas agree: each one's settled digest, replicated on the "digests" channel.
// SPDX-License-Identifier: MIT
#pragma once

#include "cluster/digest_report.hpp"
#include "cluster/page_board.hpp"
#include "replication/synced_state.hpp"

#include <converge/g_map.hpp>
#include <converge/lww_register.hpp>

#include <cstdint>
#include <mutex>
#include <optional>
#include <span>
#include <unordered_map>
#include <vector>

namespace active_users {

/// Every replica's latest report, by --id; each replica writes only its own key.
using digest_state = converge::g_map<peer_id, converge::lww_register<digest_report, peer_id>>;

/// One replica cannot see the others' counts, but each can say what it holds: this replica
/// reports its digest once its counts have held still for a whole observation period (so a
/// cluster under steady churn sends no reports, and a quiet one sends one per replica), and
/// compares its own digest with the reports of the replicas it hears. The reports are as
/// trustworthy as any replica holding the replication secret: they feed the dashboard only.
/// Thread-safe: one mutex, shared with the channel.
class agreement_board {
public:
    explicit agreement_board(peer_id self, sync_mode mode = {});
    agreement_board(const agreement_board&) = delete;
    agreement_board& operator=(const agreement_board&) = delete;

    /// The replicated channel, for the channel table.
    channel_owner& channel() noexcept { return channel_; }

    /// This replica's counts now, called at a steady period (the dashboard timer): when they are
    /// what the previous call saw and differ from the last report, they are reported.
    /// `wall_ms` is the wall clock in milliseconds, the reports' timestamps.
    void observe(const page_board::summary& counts, std::uint64_t incarnation, std::uint64_t wall_ms);

    struct replica {
        peer_id id = 0;
        digest_report report;
        double seconds_since_report = 0;  ///< by the writer's wall clock; 0 when ahead of ours
        bool up = false;                  ///< heard now (itself: always)
        bool agrees = false;              ///< up and reporting this replica's digest
    };
    struct view {
        std::vector<replica> replicas;  ///< by id, at most max_listed, this replica included
        std::size_t reporting = 0;      ///< replicas with a report, listed or not
        bool settled = false;           ///< this replica's counts held still and are reported
        /// Settled, and every replica that is up reports the same digest as this one.
        bool agree = false;
        std::size_t up = 0;             ///< replicas up, this one included
        std::size_t differing = 0;      ///< peers up reporting another digest, or none yet
        /// False when replicas hold different parts of the counts by design (NATS interest:
        /// each holds the shards its clients follow), so their digests cannot agree; `agree`
        /// is then false and says nothing. Set by the caller, who knows.
        bool comparable = true;
    };
    static constexpr std::size_t max_listed = 64;
    /// Compared with `mine` (this replica's counts now); `up` lists the peers heard now.
    [[nodiscard]] view snapshot(const page_board::summary& mine, std::span<const peer_id> up,
                                std::uint64_t wall_ms) const;

    /// A replica's incarnation changed (it restarted, rejoined or started over).
    struct incarnation_change {
        peer_id id = 0;
        std::uint64_t from = 0;
        std::uint64_t to = 0;
    };
    /// The changes seen since the last call, in order.
    std::vector<incarnation_change> take_changes();
    /// The replica whose report named `incarnation`, when one did (remembered for the last
    /// max_remembered incarnations).
    [[nodiscard]] std::optional<peer_id> owner_of(std::uint64_t incarnation) const;
    static constexpr std::size_t max_remembered = 4096;

private:
    void heard(const digest_state& news);
    void remember(peer_id id, std::uint64_t incarnation);

    const peer_id self_;
    mutable std::mutex mutex_;
    synced_state<digest_state> channel_;
    std::optional<std::uint64_t> last_seen_;  ///< the digest the previous observe saw
    std::unordered_map<peer_id, std::uint64_t> incarnations_;  ///< each reporter's latest
    std::unordered_map<std::uint64_t, peer_id> owners_;
    std::vector<incarnation_change> changes_;
};

}  // namespace active_users
