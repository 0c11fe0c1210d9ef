// Picks the media source named by the task's source.type.
#include "sources/agora_source.h"
#include "sources/source.h"
#include "sources/synthetic_source.h"
#include "sources/url_source.h"

namespace rtcegress {

std::unique_ptr<Source> make_source(const nlohmann::json& task, std::string& error) {
  std::string type = "agora";
  auto src = task.find("source");
  if (src != task.end() && !src->is_null()) {
    if (!src->is_object()) {
      error = "source: must be an object with a type (agora, synthetic, url)";
      return nullptr;
    }
    auto t = src->find("type");
    if (t != src->end() && !t->is_null()) {
      if (!t->is_string()) {
        error = "source.type: must be one of agora, synthetic, url (got " + t->dump() + ")";
        return nullptr;
      }
      type = t->get<std::string>();
    }
  }
  if (type == "agora") return make_agora_source(task, error);
  if (type == "synthetic") return make_synthetic_source(task, error);
  if (type == "url") return make_url_source(task, error);
  error = "source.type: must be one of agora, synthetic, url (got \"" + type.substr(0, 40) + "\")";
  return nullptr;
}

}  // namespace rtcegress
