// The route table of converge-active-users: add an endpoint by adding a row here and its handler.
// SPDX-License-Identifier: MIT
#include "api/routes.hpp"

#include "api/bind_parts.hpp"
#include "http/asset_reply.hpp"
#include "http/assets.hpp"
#include "http/responses.hpp"

namespace active_users {

using boost::beast::http::verb;

route_table make_routes(const viewer_api::parts& viewers, const notification_api::parts& notes,
                        const cluster_api::parts& cluster, const bearer_token& writes,
                        std::function<std::string()> metrics) {
    namespace v = viewer_api;
    namespace n = notification_api;
    namespace c = cluster_api;
    const auto write = [&](auto handler) { return writes.guard(std::move(handler)); };
    route_table routes;
    routes.add(verb::get, "/:page/counter", bind_parts(viewers, v::get_counter))
        .add(verb::put, "/:page/counter", write(bind_parts(viewers, v::put_counter)))
        .add(verb::post, "/:page/heartbeat", write(bind_parts(viewers, v::heartbeat)))
        .add(verb::post, "/:page/leave", write(bind_parts(viewers, v::leave)))
        .add_websocket("/:page/live", bind_parts(viewers, v::live))
        .add(verb::post, "/:page/modified", write(bind_parts(notes, n::modified)))
        .add(verb::put, "/users/:user/subscriptions/:page", write(bind_parts(notes, n::subscribe)))
        .add(verb::delete_, "/users/:user/subscriptions/:page", write(bind_parts(notes, n::unsubscribe)))
        .add(verb::post, "/users/:user/read", write(bind_parts(notes, n::read_all)))
        .add(verb::post, "/users/:user/read/:page", write(bind_parts(notes, n::read)))
        .add(verb::get, "/users/:user/unread", bind_parts(notes, n::unread))
        .add_websocket("/users/:user/live", bind_parts(notes, n::live))
        .add(verb::get, "/metrics",
             [metrics = std::move(metrics)](const http_request& req,
                                            const route_params&) -> boost::asio::awaitable<http_response> {
                 co_return reply(req, boost::beast::http::status::ok, metrics(), "text/plain; version=0.0.4");
             })
        .add(verb::get, "/", bind_parts(cluster, c::dashboard))
        .add(verb::get, "/cluster", bind_parts(cluster, c::snapshot))
        .add_websocket("/cluster", bind_parts(cluster, c::live));
    // Literal rows, one per file: a request names a row, never a file to look up.
    for (const asset& a : embedded_assets()) {
        routes.add(verb::get, "/assets/" + std::string(a.name),
                   [&a](const http_request& req, const route_params&) -> boost::asio::awaitable<http_response> {
                       co_return asset_reply(req, a);
                   });
    }
    return routes;
}

}  // namespace active_users
