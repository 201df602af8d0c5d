// viewer_page: a single small HTML document with its script inline.
// SPDX-License-Identifier: MIT
#include "http/viewer_page.hpp"

namespace active_users {

std::string viewer_page(std::string_view page) {
    const std::string p(page);
    return "<!doctype html><meta charset=utf-8><title>" + p +
           " viewers</title><body style=\"font:2em sans-serif\"><p><b id=n>…</b> people are viewing <i>" + p +
           "</i></p><script>const n=document.getElementById('n');"
           "const ws=new WebSocket((location.protocol==='https:'?'wss://':'ws://')+location.host+'/" +
           p + "/live');ws.onmessage=e=>{n.textContent=JSON.parse(e.data).count};"
           "ws.onclose=()=>{n.textContent+=' (disconnected)'};</script>";
}

}  // namespace active_users
