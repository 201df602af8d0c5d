// cluster_json: the dashboard's snapshot through Boost.JSON.
// SPDX-License-Identifier: MIT
#include "cluster/cluster_view.hpp"

#include "http/responses.hpp"

#include <boost/json.hpp>

#include <cstdio>

namespace active_users {

namespace json = boost::json;

namespace {

std::string hex64(std::uint64_t n) {
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(n));
    return buf;
}

}  // namespace

std::string cluster_json(const cluster_view& v) {
    json::array top;
    for (const page_board::entry& e : v.pages.top) top.push_back(json::object{{"page", e.page}, {"count", e.count}});
    json::array reports;
    for (const agreement_board::replica& r : v.agreement.replicas)
        reports.push_back(json::object{{"id", r.id},
                                       {"incarnation", hex64(r.report.incarnation)},
                                       {"digest", hex64(r.report.digest)},
                                       {"viewers", r.report.viewers},
                                       {"pages", r.report.pages},
                                       {"seconds_since_report", r.seconds_since_report},
                                       {"up", r.up},
                                       {"agrees", r.agrees}});
    const auto incarnation_of = [&](peer_id id) -> json::value {
        for (const agreement_board::replica& r : v.agreement.replicas)
            if (r.id == id) return json::value(hex64(r.report.incarnation));
        return nullptr;
    };
    json::array timeline;
    for (const membership_timeline::event& e : v.timeline) {
        json::object o{{"time", e.time}, {"event", e.what}, {"replica", nullptr},
                       {"incarnation", hex64(e.incarnation)}, {"previous", nullptr}};
        if (e.replica) o["replica"] = *e.replica;
        if (e.previous) o["previous"] = hex64(*e.previous);
        timeline.push_back(std::move(o));
    }
    json::array peers;
    for (const peer_traffic::peer_view& p : v.peers) {
        json::object o{{"id", p.id},
                       {"address", p.address},
                       {"incarnation", incarnation_of(p.id)},
                       {"up", p.up},
                       {"last_heard_seconds", nullptr},
                       {"lag_seconds", nullptr},
                       {"bytes_received", p.bytes_received},
                       {"messages_received", p.messages_received}};
        if (p.seconds_since_heard) o["last_heard_seconds"] = *p.seconds_since_heard;
        if (const auto it = v.lag_seconds.find(p.id); it != v.lag_seconds.end()) o["lag_seconds"] = it->second;
        peers.push_back(std::move(o));
    }
    return json::serialize(json::object{{"replica", v.replica},
                                        {"incarnation", hex64(v.incarnation)},
                                        {"time", iso8601(clock::now())},
                                        {"uptime_seconds", v.uptime_seconds},
                                        {"viewers", v.pages.viewers},
                                        {"pages", v.pages.pages},
                                        {"digest", hex64(v.pages.digest)},
                                        {"top", std::move(top)},
                                        {"peers", std::move(peers)},
                                        {"peers_up", v.peers_up},
                                        {"bytes_sent", v.bytes_sent},
                                        {"retired", v.retired},
                                        {"rejoins", v.rejoins},
                                        {"local_sessions", v.local_sessions},
                                        {"agreement", json::object{{"agree", v.agreement.agree},
                                                                   {"comparable", v.agreement.comparable},
                                                                   {"settled", v.agreement.settled},
                                                                   {"up", v.agreement.up},
                                                                   {"differing", v.agreement.differing},
                                                                   {"reporting", v.agreement.reporting},
                                                                   {"replicas", std::move(reports)}}},
                                        {"timeline", std::move(timeline)}});
}

}  // namespace active_users
