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
    json::array peers;
    for (const peer_traffic::peer_view& p : v.peers) {
        json::object o{{"id", p.id},
                       {"address", p.address},
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
                                        {"local_sessions", v.local_sessions}});
}

}  // namespace active_users
