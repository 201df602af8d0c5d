// render_metrics: one helper per family shape, one line per metric.
// SPDX-License-Identifier: MIT
#include "metrics/metrics.hpp"

#include <cstddef>
#include <cstdint>
#include <ostream>
#include <sstream>
#include <string>

namespace active_users {

namespace {

/// The HELP (when there is one) and TYPE lines that open a metric family.
void family(std::ostream& out, std::string_view name, std::string_view type, std::string_view help = {}) {
    if (!help.empty()) out << "# HELP " << name << ' ' << help << '\n';
    out << "# TYPE " << name << ' ' << type << '\n';
}

/// A family with one unlabelled sample.
template <class Value>
void metric(std::ostream& out, std::string_view name, std::string_view type, Value value, std::string_view help = {}) {
    family(out, name, type, help);
    out << name << ' ' << value << '\n';
}

/// One histogram's samples: cumulative buckets, then _sum and _count, each with `labels`
/// (`route="/x",method="GET"`, without braces).
void histogram(std::ostream& out, std::string_view name, std::string_view labels, const histogram_snapshot& h) {
    std::uint64_t cumulative = 0;
    const std::string_view comma = labels.empty() ? "" : ",";
    for (std::size_t i = 0; i < h.buckets.size(); ++i) {
        cumulative += h.buckets[i];
        out << name << "_bucket{" << labels << comma << "le=\"";
        if (i < latency_bounds.size()) out << latency_bounds[i];
        else out << "+Inf";
        out << "\"} " << cumulative << '\n';
    }
    out << name << "_sum{" << labels << "} " << h.sum_seconds << '\n';
    out << name << "_count{" << labels << "} " << h.count << '\n';
}

}  // namespace

std::string render_metrics(const service_stats& s) {
    std::ostringstream out;
    family(out, "converge_sessions", "gauge", "Live viewer sessions held by this replica.");
    out << "converge_sessions{kind=\"heartbeat\"} " << s.heartbeat_sessions << "\n"
        << "converge_sessions{kind=\"websocket\"} " << s.websocket_sessions << "\n";
    metric(out, "converge_pages", "gauge", s.counts.pages, "Pages this replica has counted or answered for.");
    metric(out, "converge_merges_total", "counter", s.counts.merges, "Viewer-count messages that brought news.");
    metric(out, "converge_rejected_messages_total", "counter", s.net.frames_rejected + s.replication.rejected,
           "Replication frames refused: failed authentication or framing, unknown channel, undecodable payload.");
    metric(out, "converge_frames_received_total", "counter", s.net.frames_received,
           "Replication frames received and authenticated, every peer and channel.");
    metric(out, "converge_replication_replays_total", "counter", s.net.replays,
           "Frames refused as repeated or out of order on their connection; nothing was merged.");
    metric(out, "converge_replication_handshakes_refused_total", "counter", s.net.handshakes_refused,
           "Replication connections closed before authenticating: wrong secret, replayed, timed out, or too many.");
    metric(out, "converge_replication_handshaking", "gauge", s.net.handshaking,
           "Replication connections not authenticated yet.");
    metric(out, "converge_replication_bytes_sent_total", "counter", s.net.bytes_sent, "Bytes of replication frames sent.");
    metric(out, "converge_replication_peers_up", "gauge", s.replication.peers_up, "Peers with a link up (on NATS: replicas heard within --retire-after).");
    metric(out, "converge_replication_repairs_requested_total", "counter", s.replication.repairs_requested,
           "Broadcast repair requests sent to a replica whose changes were missing here.");
    metric(out, "converge_replication_repairs_answered_total", "counter", s.replication.repairs_answered,
           "Broadcast repair requests answered for other replicas.");
    metric(out, "converge_nats_shards_subscribed", "gauge", s.replication.shards_followed,
           "Presence shards followed (subscribed) now: those with local viewers or recent readers.");
    metric(out, "converge_presence_shards_held", "gauge", s.counts.shards_held,
           "Presence shards whose state this replica holds (1 when presence is not sharded).");
    family(out, "converge_nats_state_requests_total", "counter",
           "Shard state requests: sent (a shard started being followed), served (answered for another replica), "
           "unanswered (no replica held the shard, which then started empty).");
    out << "converge_nats_state_requests_total{direction=\"sent\"} " << s.replication.state_requests_sent << "\n"
        << "converge_nats_state_requests_total{direction=\"served\"} " << s.replication.state_requests_served << "\n"
        << "converge_nats_state_requests_total{direction=\"unanswered\"} " << s.replication.shards_held_by_nobody << "\n";
    metric(out, "converge_replication_dropped_total", "counter", s.net.dropped,
           "Frames the transport could not publish or had to drop (a slow consumer); repairs cover them.");
    family(out, "converge_replication_subject_bytes_total", "counter",
           "NATS frame bytes per subject class (sync: published to followers; to: addressed to one; state: shard state requests) and direction.");
    for (const auto& [subject, t] : s.net.subjects) {
        out << "converge_replication_subject_bytes_total{subject=\"" << subject << "\",direction=\"published\"} " << t.bytes_published << "\n"
            << "converge_replication_subject_bytes_total{subject=\"" << subject << "\",direction=\"received\"} " << t.bytes_received << "\n";
    }
    family(out, "converge_replication_subject_messages_total", "counter",
           "NATS frames per subject class and direction.");
    for (const auto& [subject, t] : s.net.subjects) {
        out << "converge_replication_subject_messages_total{subject=\"" << subject << "\",direction=\"published\"} " << t.messages_published << "\n"
            << "converge_replication_subject_messages_total{subject=\"" << subject << "\",direction=\"received\"} " << t.messages_received << "\n";
    }
    family(out, "converge_replication_lag_seconds", "gauge", "Age of the last frame from each peer on arrival.");
    for (const auto& [peer, lag] : s.net.lag_seconds)
        out << "converge_replication_lag_seconds{peer=\"" << peer << "\"} " << lag << "\n";
    family(out, "converge_channel_sent_messages_total", "counter",
           "Mesh replication messages sent per channel, every peer (repeats left out are not counted).");
    for (const channel_sent& c : s.replication.sent)
        out << "converge_channel_sent_messages_total{channel=\"" << c.channel << "\"} " << c.messages << '\n';
    family(out, "converge_channel_sent_bytes_total", "counter",
           "Mesh replication payload bytes sent per channel, every peer, before frame headers and MACs.");
    for (const channel_sent& c : s.replication.sent)
        out << "converge_channel_sent_bytes_total{channel=\"" << c.channel << "\"} " << c.bytes << '\n';
    family(out, "converge_channel_messages_total", "counter", "Replication messages per channel and outcome.");
    for (const auto& [name, c] : s.channels) {
        out << "converge_channel_messages_total{channel=\"" << name << "\",outcome=\"news\"} " << c.merges << "\n"
            << "converge_channel_messages_total{channel=\"" << name << "\",outcome=\"rejected\"} " << c.rejected << "\n";
    }
    metric(out, "converge_retired_incarnations", "gauge", s.counts.retired,
           "Retirement markers in the presence state, each collected once older than the horizon.");
    metric(out, "converge_presence_entries", "gauge", s.counts.presence_entries,
           "Live (page, incarnation) viewer gauges in the presence state; 0 once every page is empty.");
    metric(out, "converge_presence_state_bytes", "gauge", s.presence_bytes,
           "The presence state encoded: what a peer that meets this replica is sent.");
    metric(out, "converge_presence_horizon_seconds", "gauge", s.counts.presence_horizon,
           "Retirement markers from before this time (seconds since the epoch) are collected.");
    metric(out, "converge_rejoins_total", "counter", s.counts.rejoins,
           "Times this replica found itself retired, or cut off past the horizon, and took a new incarnation.");
    metric(out, "converge_expired_sessions_total", "counter", s.expired_sessions,
           "Heartbeat sessions dropped after --expiry without a heartbeat.");
    metric(out, "converge_http_requests_total", "counter", s.http_requests, "HTTP requests answered, every route.");
    metric(out, "converge_snapshots_written_total", "counter", s.disk.snapshots_written,
           "Snapshot passes to --data-dir that wrote at least one file.");
    metric(out, "converge_snapshot_failures_total", "counter", s.disk.failures, "Snapshot passes that failed and were retried.");
    metric(out, "converge_notification_users", "gauge", s.notes.users, "Users this replica has an unread count for.");
    metric(out, "converge_notification_pages", "gauge", s.notes.pages, "Pages with modifications known here.");
    metric(out, "converge_notification_merges_total", "counter", s.notes.merges, "Notification messages that brought news.");
    metric(out, "converge_notification_rejected_total", "counter", s.notes.rejected,
           "Notification messages that failed to decode.");
    metric(out, "converge_notification_writes_total", "counter", s.notes.local_writes,
           "Subscribes, unsubscribes, reads and modifications made here.");
    metric(out, "converge_viewers", "gauge", s.board.viewers,
           "Sum of every page's count as this replica knows it: sessions on every replica plus adjustments.");
    metric(out, "converge_pages_with_viewers", "gauge", s.board.pages, "Pages whose count is not 0.");
    if (s.agreement.comparable) {  // absent with NATS interest, where replicas hold different shards
        metric(out, "converge_replicas_agree", "gauge", s.agreement.agree ? 1 : 0,
               "1 when this replica's counts are settled and every replica up reports the same digest.");
        metric(out, "converge_replicas_differing", "gauge", s.agreement.differing,
               "Peers up whose last digest report differs from this replica's counts, or who have not reported.");
    }
    metric(out, "converge_replicas_reporting", "gauge", s.agreement.reporting,
           "Replicas whose digest report this replica holds, up or not.");
    family(out, "converge_http_request_duration_seconds", "histogram",
           "From a request read to its response written, per route of the route table.");
    for (const route_latency& r : s.http_latency)
        histogram(out, "converge_http_request_duration_seconds", "method=\"" + r.method + "\",route=\"" + r.route + "\"",
                  r.latency);
    family(out, "converge_websocket_connections", "gauge", "Open WebSockets, by feed: pages, users, cluster.");
    for (const auto& [feed, n] : s.websockets) out << "converge_websocket_connections{feed=\"" << feed << "\"} " << n << '\n';
    family(out, "converge_push_delay_seconds", "histogram",
           "From a push's publish by the push timer to its WebSocket write completing, by feed.");
    for (const auto& [feed, h] : s.push_delay)
        histogram(out, "converge_push_delay_seconds", "feed=\"" + std::string(feed) + "\"", h);
    return out.str();
}

}  // namespace active_users
