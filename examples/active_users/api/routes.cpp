// The route table of converge-active-users: add an endpoint by adding a row and its handler.
// SPDX-License-Identifier: MIT
#include "api/routes.hpp"

#include "http/responses.hpp"

namespace active_users {

namespace asio = boost::asio;
using boost::beast::http::verb;

namespace {

/// Binds a member handler of `api` into a route handler.
template <class Api, class Handler>
auto bind(Api& api, Handler member) {
    return [&api, member](auto&&... args) { return (api.*member)(std::forward<decltype(args)>(args)...); };
}

}  // namespace

route_table make_routes(viewer_api& viewers, notification_api& notes, std::function<std::string()> metrics) {
    route_table routes;
    routes.add(verb::get, "/metrics", [metrics = std::move(metrics)](const http_request& req, const route_params&)
                   -> asio::awaitable<http_response> {
            co_return reply(req, boost::beast::http::status::ok, metrics(), "text/plain; version=0.0.4");
        })
        .add(verb::get, "/:page/counter", bind(viewers, &viewer_api::get_counter))
        .add(verb::put, "/:page/counter", bind(viewers, &viewer_api::put_counter))
        .add(verb::post, "/:page/heartbeat", bind(viewers, &viewer_api::heartbeat))
        .add(verb::post, "/:page/leave", bind(viewers, &viewer_api::leave))
        .add_websocket("/:page/live", bind(viewers, &viewer_api::live))
        .add(verb::post, "/:page/modified", bind(notes, &notification_api::modified))
        .add(verb::put, "/users/:user/subscriptions/:page", bind(notes, &notification_api::subscribe))
        .add(verb::delete_, "/users/:user/subscriptions/:page", bind(notes, &notification_api::unsubscribe))
        .add(verb::post, "/users/:user/read", bind(notes, &notification_api::read_all))
        .add(verb::post, "/users/:user/read/:page", bind(notes, &notification_api::read))
        .add(verb::get, "/users/:user/unread", bind(notes, &notification_api::unread))
        .add_websocket("/users/:user/live", bind(notes, &notification_api::live));
    return routes;
}

}  // namespace active_users
