// agreement_board: reports once the counts settle; compares the reports of the replicas heard.
// SPDX-License-Identifier: MIT
#include "cluster/agreement_board.hpp"

#include "replication/fresh_id.hpp"

#include <algorithm>
#include <vector>

namespace active_users {

agreement_board::agreement_board(peer_id self, sync_mode mode)
    : self_(self),
      // Its own epoch: the channel's runs are independent of the presence incarnation's.
      channel_(mutex_, fresh_id(), [this](const digest_state& news, std::optional<std::uint64_t>) { heard(news); }, {},
               mode) {}

void agreement_board::observe(const page_board::summary& counts, std::uint64_t incarnation, std::uint64_t wall_ms) {
    std::lock_guard lock(mutex_);
    const bool still = last_seen_ == counts.digest;
    last_seen_ = counts.digest;
    if (!still) return;
    const digest_report now{incarnation, counts.digest, counts.viewers, counts.pages};
    const auto* held = channel_.state().find(self_);
    if (held != nullptr && held->get() != nullptr && *held->get() == now) return;
    // Later than any report of this id seen, even one written before a restart by a clock
    // that ran ahead of this one's.
    const std::uint64_t stamp = std::max(wall_ms, (held != nullptr ? held->timestamp() : 0) + 1);
    channel_.update([&](digest_state& s) {
        return s.update(self_, [&](auto& r) { return r.assign(now, stamp, self_); });
    });
    remember(self_, incarnation);
}

agreement_board::view agreement_board::snapshot(const page_board::summary& mine, std::span<const peer_id> up,
                                                std::uint64_t wall_ms) const {
    std::lock_guard lock(mutex_);
    view v;
    // Sorted once, so that a cluster of thousands (NATS) costs a search per report, not a scan.
    std::vector<peer_id> up_sorted(up.begin(), up.end());
    std::sort(up_sorted.begin(), up_sorted.end());
    const auto is_up = [&](peer_id id) {
        return id == self_ || std::binary_search(up_sorted.begin(), up_sorted.end(), id);
    };
    const auto* own = channel_.state().find(self_);
    v.settled = own != nullptr && own->get() != nullptr && own->get()->digest == mine.digest && last_seen_ == mine.digest;
    std::size_t peers_agreeing = 0;
    for (const auto& [id, reg] : channel_.state()) {
        const digest_report* r = reg.get();
        if (r == nullptr) continue;
        ++v.reporting;
        const bool live = is_up(id);
        const bool agrees = live && r->digest == mine.digest;
        if (agrees && id != self_) ++peers_agreeing;
        if (v.replicas.size() < max_listed) {
            const double age = wall_ms > reg.timestamp() ? static_cast<double>(wall_ms - reg.timestamp()) / 1000.0 : 0.0;
            v.replicas.push_back({id, *r, age, live, agrees});
        }
    }
    // Peers that are up but have not reported yet count against agreement too.
    const auto peers_up = static_cast<std::size_t>(std::count_if(up.begin(), up.end(), [&](peer_id id) { return id != self_; }));
    v.up = 1 + peers_up;
    v.differing = peers_up - std::min(peers_up, peers_agreeing);
    v.agree = v.settled && v.differing == 0;
    return v;
}

std::vector<agreement_board::incarnation_change> agreement_board::take_changes() {
    std::lock_guard lock(mutex_);
    std::vector<incarnation_change> out;
    out.swap(changes_);
    return out;
}

std::optional<peer_id> agreement_board::owner_of(std::uint64_t incarnation) const {
    std::lock_guard lock(mutex_);
    const auto it = owners_.find(incarnation);
    if (it == owners_.end()) return std::nullopt;
    return it->second;
}

void agreement_board::heard(const digest_state& news) {
    for (const auto& [id, reg] : news)
        if (const digest_report* r = reg.get()) remember(id, r->incarnation);
}

void agreement_board::remember(peer_id id, std::uint64_t incarnation) {
    const auto [it, first] = incarnations_.try_emplace(id, incarnation);
    if (!first && it->second != incarnation) {
        // Bounded like owners_: nobody may be draining (a replica no one watches).
        if (changes_.size() < max_remembered) changes_.push_back({id, it->second, incarnation});
        it->second = incarnation;
    }
    if (owners_.size() >= max_remembered) owners_.clear();  // rare; costs only labels on old events
    owners_[incarnation] = id;
}

}  // namespace active_users
