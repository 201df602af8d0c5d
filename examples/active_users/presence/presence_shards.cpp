// presence_shards: shards created on first use, fetched before they count, dropped when interest lapses.
// SPDX-License-Identifier: MIT
#include "presence/presence_shards.hpp"

namespace active_users {

presence_shards::presence_shards(std::mutex& guard, const std::uint64_t& incarnation, sync_mode mode, shard_plan plan,
                                 hooks h)
    : guard_(guard), incarnation_(incarnation), mode_(mode), plan_(plan), hooks_(std::move(h)) {
    if (!sharded()) {
        slot& s = create(0);
        s.ready = s.permanent = true;  // nothing to fetch: the mesh sends a new peer everything
    } else if (plan_.follow_all) {
        for (std::uint32_t n = 0; n < plan_.shards; ++n) create(n).permanent = true;
    }
}

presence_shards::slot& presence_shards::create(std::uint32_t shard) {
    slot& s = slots_[shard];
    s.state = std::make_shared<presence_channel>(guard_, incarnation_, hooks_.on_news, hooks_.on_incoming, mode_);
    std::optional<resume_point> resume;
    if (const auto it = dropped_.find(shard); it != dropped_.end()) {
        if (dropped_incarnation_ == incarnation_) resume = it->second;
        dropped_.erase(it);
    }
    if (resume) s.state->resume_after(resume->seq);  // before any change of this run
    if (previous_) s.state->update([&](presence_state& p) { return p.retire(*previous_, presence_clock_now()); });
    if (resume) s.state->update([&](presence_state& p) { return p.resume_after(incarnation_, resume->counter); });
    return s;
}

presence_channel& presence_shards::at(std::uint32_t shard) {
    if (const auto it = slots_.find(shard); it != slots_.end()) return *it->second.state;
    return *create(shard).state;
}

presence_channel* presence_shards::find(std::uint32_t shard) const {
    const auto it = slots_.find(shard);
    return it == slots_.end() ? nullptr : it->second.state.get();
}

bool presence_shards::ready_locked(std::uint32_t shard) const {
    const auto it = slots_.find(shard);
    return it != slots_.end() && it->second.ready;
}

void presence_shards::read(std::uint32_t shard, time_point now) {
    if (!sharded()) return;
    at(shard);
    slots_[shard].last_read = now;
}

void presence_shards::pin(std::uint32_t shard, int delta) {
    if (!sharded()) return;
    at(shard);
    slot& s = slots_[shard];
    s.pins += delta;
    // The last local viewer's leave still has to reach the followers, and be repaired if it is
    // lost: the shard stays for a lapse as if just read.
    if (s.pins == 0) s.last_read = std::chrono::steady_clock::now();
}

std::vector<std::uint32_t> presence_shards::followed(time_point now) {
    std::lock_guard lock(guard_);
    std::vector<std::uint32_t> out;
    out.reserve(slots_.size());
    for (auto it = slots_.begin(); it != slots_.end();) {
        const slot& s = it->second;
        if (s.permanent || s.pins > 0 || now - s.last_read < plan_.lapse) {
            out.push_back(it->first);
            ++it;
            continue;
        }
        const std::uint32_t gone = it->first;
        if (dropped_incarnation_ != incarnation_) {
            dropped_.clear();  // an older incarnation's: its writes are retired everywhere
            dropped_incarnation_ = incarnation_;
        }
        const resume_point where{.seq = s.state->sequence(), .counter = s.state->state().latest_counter(incarnation_)};
        if (where.seq > 0 || where.counter > 0) dropped_[gone] = where;
        it = slots_.erase(it);
        if (hooks_.on_drop) hooks_.on_drop(gone);
    }
    return out;
}

std::shared_ptr<channel_owner> presence_shards::shard(std::uint32_t shard) {
    std::lock_guard lock(guard_);
    const auto it = slots_.find(shard);
    return it == slots_.end() ? nullptr : it->second.state;
}

bool presence_shards::ready(std::uint32_t shard) const {
    std::lock_guard lock(guard_);
    return ready_locked(shard);
}

std::optional<std::vector<std::byte>> presence_shards::whole(std::uint32_t shard, peer_id peer) {
    std::shared_ptr<presence_channel> state;
    {
        std::lock_guard lock(guard_);
        const auto it = slots_.find(shard);
        if (it == slots_.end() || !it->second.ready) return std::nullopt;
        state = it->second.state;
    }
    return state->whole_state(peer);  // takes the guard itself
}

result<void> presence_shards::install(std::uint32_t shard, peer_id from, std::span<const std::byte> bytes) {
    std::shared_ptr<presence_channel> state;
    {
        std::lock_guard lock(guard_);
        const auto it = slots_.find(shard);
        if (it == slots_.end()) return fail(status::bad_request, "a state for shard " + std::to_string(shard) + ", not followed here");
        state = it->second.state;
    }
    if (auto merged = state->receive(from, bytes); !merged) return merged.error();
    std::lock_guard lock(guard_);
    // The shard may have lapsed, or been replaced by a restart, while the state was merged.
    if (const auto it = slots_.find(shard); it != slots_.end() && it->second.state == state) it->second.ready = true;
    return {};
}

void presence_shards::nobody_holds(std::uint32_t shard) {
    std::lock_guard lock(guard_);
    if (const auto it = slots_.find(shard); it != slots_.end()) it->second.ready = true;
}

std::vector<std::byte> presence_shards::snapshot() const {
    std::lock_guard lock(guard_);
    std::vector<std::byte> out;
    for (int i = 7; i >= 0; --i) out.push_back(static_cast<std::byte>(incarnation_ >> (8 * i)));
    return out;
}

result<void> presence_shards::restore(std::span<const std::byte> bytes) {
    if (bytes.size() != 8) return fail(status::bad_request, "an incarnation is 8 bytes, not " + std::to_string(bytes.size()));
    std::uint64_t previous = 0;
    for (const std::byte b : bytes) previous = (previous << 8) | std::to_integer<std::uint64_t>(b);
    std::lock_guard lock(guard_);
    // Which shards the previous run wrote is not known: each shard held from now on carries its
    // retirement (peers that hold its gauges elsewhere retire it after --retire-after).
    previous_ = previous;
    for (auto& [n, s] : slots_) s.state->update([&](presence_state& p) { return p.retire(previous, presence_clock_now()); });
    return {};
}

channel_stats presence_shards::statistics() const {
    std::vector<std::shared_ptr<presence_channel>> states;
    {
        std::lock_guard lock(guard_);
        for (const auto& [n, s] : slots_) states.push_back(s.state);
    }
    channel_stats out;
    for (const auto& s : states) {
        const channel_stats c = s->statistics();
        out.merges += c.merges;
        out.rejected += c.rejected;
    }
    return out;
}

}  // namespace active_users
