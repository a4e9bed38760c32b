// Knowledge bases: /v1/knowledge (CRUD), their documents (multipart upload,
// by URL, raw text; status and progress) and search.
#include <cctype>

#include "base/clock.h"
#include "rag/knowledge_service.h"
#include "web/handlers/handlers.h"
#include "web/multipart.h"

namespace kiln::web {
namespace {

using nlohmann::json;

constexpr const char* kNotBlank = "[^ \\t\\n\\r\\f\\v]";

json SettingsSchema() {
  json separator = {{"oneOf",
                     {{{"type", "string"}, {"minLength", 1}, {"maxLength", 200}},
                      {{"type", "object"},
                       {"additionalProperties", false},
                       {"required", {"regex"}},
                       {"properties", {{"regex", {{"type", "string"}, {"minLength", 1}}}}}},
                      {{"type", "object"},
                       {"additionalProperties", false},
                       {"required", {"text"}},
                       {"properties", {{"text", {{"type", "string"}, {"minLength", 1}}}}}}}}};
  return {{"type", "object"},
          {"additionalProperties", false},
          {"properties",
           {{"chunk_size", {{"type", "integer"}, {"minimum", 16}, {"maximum", 8192}}},
            {"chunk_overlap", {{"type", "integer"}, {"minimum", 0}, {"maximum", 4096}}},
            {"separators", {{"type", "array"}, {"maxItems", 32}, {"items", separator}}},
            {"parent_child", {{"type", "boolean"}}},
            {"child_chunk_size", {{"type", "integer"}, {"minimum", 8}, {"maximum", 8192}}},
            {"retrieval_mode", {{"enum", {"semantic", "full_text", "hybrid"}}}},
            {"top_k", {{"type", "integer"}, {"minimum", 1}, {"maximum", 50}}},
            {"min_score", {{"type", "number"}, {"minimum", 0}, {"maximum", 1}}},
            {"embedding_model", {{"type", "string"}, {"minLength", 1}, {"maxLength", 128}}}}}};
}

json BaseSchema() {
  return {{"type", "object"},
          {"required",
           {"id", "object", "name", "description", "settings", "document_count", "chunk_count",
            "created_at", "updated_at"}},
          {"properties",
           {{"id", {{"type", "string"}}},
            {"object", {{"const", "knowledge_base"}}},
            {"name", {{"type", "string"}}},
            {"description", {{"type", "string"}}},
            {"settings", SettingsSchema()},
            {"document_count", {{"type", "integer"}}},
            {"chunk_count", {{"type", "integer"}}},
            {"created_at", {{"type", "integer"}}},
            {"updated_at", {{"type", "integer"}}}}}};
}

json BaseJson(const storage::KnowledgeBase& kb) {
  return {{"id", kb.id},
          {"object", "knowledge_base"},
          {"name", kb.name},
          {"description", kb.description},
          {"settings", json::parse(kb.settings, nullptr, false)},
          {"document_count", kb.document_count},
          {"chunk_count", kb.chunk_count},
          {"created_at", kb.created_at},
          {"updated_at", kb.updated_at}};
}

json DocumentSchema() {
  return {{"type", "object"},
          {"required",
           {"id", "object", "knowledge_id", "name", "source", "status", "progress", "bytes",
            "created_at", "updated_at"}},
          {"properties",
           {{"id", {{"type", "string"}}},
            {"object", {{"const", "document"}}},
            {"knowledge_id", {{"type", "string"}}},
            {"name", {{"type", "string"}}},
            {"source", {{"enum", {"upload", "url", "text"}}}},
            {"source_url", {{"type", {"string", "null"}}}},
            {"content_type", {{"type", "string"}}},
            {"bytes", {{"type", "integer"}}},
            {"sha256", {{"type", "string"}}},
            {"status", {{"enum", {"queued", "parsing", "embedding", "ready", "failed"}}}},
            {"error", {{"type", {"string", "null"}}}},
            {"progress",
             {{"type", "object"},
              {"properties",
               {{"chunks_done", {{"type", "integer"}}}, {"chunks_total", {{"type", "integer"}}}}}}},
            {"format", {{"type", "string"}}},
            {"encoding", {{"type", "string"}}},
            {"replaces", {{"type", {"string", "null"}}}},
            {"created_at", {{"type", "integer"}}},
            {"updated_at", {{"type", "integer"}}}}}};
}

json DocumentJson(const storage::KnowledgeDocument& d) {
  return {{"id", d.id},
          {"object", "document"},
          {"knowledge_id", d.knowledge_id},
          {"name", d.name},
          {"source", d.source},
          {"source_url", d.source_url.empty() ? json(nullptr) : json(d.source_url)},
          {"content_type", d.content_type},
          {"bytes", d.bytes},
          {"sha256", d.sha256},
          {"status", storage::DocumentStatusName(d.status)},
          {"error", d.error.empty() ? json(nullptr) : json(d.error)},
          {"progress", {{"chunks_done", d.chunks_done}, {"chunks_total", d.chunks_total}}},
          {"format", d.format},
          {"encoding", d.encoding},
          {"replaces", d.replaces.empty() ? json(nullptr) : json(d.replaces)},
          {"created_at", d.created_at},
          {"updated_at", d.updated_at}};
}

json HitJson(const rag::SearchHit& h) {
  json headings = json::array();
  for (const std::string& s : h.chunk.heading_path) headings.push_back(s);
  json out = {{"object", "knowledge_chunk"},
              {"chunk_id", h.chunk.id},
              {"document_id", h.chunk.document_id},
              {"document_name", h.document_name},
              {"position", h.chunk.position},
              {"heading_path", headings},
              {"text", h.chunk.text},
              {"score", h.score},
              {"semantic_score", h.semantic_score},
              {"text_score", h.text_score}};
  if (!h.chunk.parent_text.empty()) out["parent_text"] = h.chunk.parent_text;
  return out;
}

ParamDoc KbIdParam() { return IdParam("id", "The knowledge base's id."); }
ParamDoc DocIdParam() { return IdParam("doc_id", "The document's id."); }

Status NotLoaded() {
  return Unavailable("knowledge bases are not available on this server (no embedding model)");
}

// The documents a POST carries: multipart files, or a JSON {"url"} / {"text"}.
Result<std::vector<rag::KnowledgeService::NewDocument>> DocumentsFrom(const Request& request) {
  std::vector<rag::KnowledgeService::NewDocument> docs;
  const std::string_view type = request.Header("content-type");
  std::string lower(type.substr(0, 32));
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower.rfind("multipart/form-data", 0) == 0) {
    KILN_ASSIGN_OR_RETURN(std::string boundary, MultipartBoundary(type));
    KILN_ASSIGN_OR_RETURN(std::vector<MultipartPart> parts, ParseMultipart(request.body, boundary));
    for (const MultipartPart& part : parts) {
      if (part.filename.empty()) continue;  // plain form fields carry nothing we use
      rag::KnowledgeService::NewDocument d;
      d.name = SanitizeFilename(part.filename);
      d.content_type = part.content_type;
      d.bytes = std::string(part.data);
      docs.push_back(std::move(d));
    }
    if (docs.empty()) return InvalidArgument("the form has no file part", "file");
    return docs;
  }
  if (lower.rfind("application/json", 0) != 0) {
    return Status(StatusCode::kInvalidArgument,
                  "send files as multipart/form-data, or a JSON object with url or text");
  }
  json body = json::parse(request.body, nullptr, false);
  if (!body.is_object()) return InvalidArgument("the body is not a JSON object");
  rag::KnowledgeService::NewDocument d;
  if (body.contains("url")) {
    if (!body["url"].is_string() || body["url"].get<std::string>().empty()) {
      return InvalidArgument("url must be a non-empty string", "url");
    }
    d.source = "url";
    d.source_url = body["url"].get<std::string>();
    if (d.source_url.size() > 2048) return InvalidArgument("url is too long", "url");
    if (d.source_url.rfind("http://", 0) != 0 && d.source_url.rfind("https://", 0) != 0) {
      return InvalidArgument("url must start with http:// or https://", "url");
    }
    d.name = body.contains("name") && body["name"].is_string()
                 ? SanitizeFilename(body["name"].get<std::string>())
                 : "";
  } else if (body.contains("text")) {
    if (!body["text"].is_string() || body["text"].get<std::string>().empty()) {
      return InvalidArgument("text must be a non-empty string", "text");
    }
    d.source = "text";
    d.bytes = body["text"].get<std::string>();
    d.content_type = "text/plain; charset=utf-8";
    std::string name = body.value("name", std::string("text.txt"));
    d.name = SanitizeFilename(name);
    if (d.name.find('.') == std::string::npos) d.name += ".txt";
  } else {
    return InvalidArgument("give url or text (or upload files as multipart/form-data)");
  }
  docs.push_back(std::move(d));
  return docs;
}

}  // namespace

void AddKnowledgeRoutes(Router& router, rag::KnowledgeService* knowledge, storage::Store* store,
                        size_t body_limit, size_t upload_limit) {
  storage::KnowledgeRepository* repo = &store->knowledge();
  const json name_schema = {
      {"type", "string"}, {"minLength", 1}, {"maxLength", 100}, {"pattern", kNotBlank}};

  Route create = NewRoute("POST", "/v1/knowledge", "createKnowledgeBase", "Create a knowledge base",
                          "knowledge");
  create.body_limit = body_limit;
  create.request_schema = {{"type", "object"},
                           {"required", {"name"}},
                           {"additionalProperties", false},
                           {"properties",
                            {{"name", name_schema},
                             {"description", {{"type", "string"}, {"maxLength", 2000}}},
                             {"settings", SettingsSchema()}}}};
  create.responses = {{201, "The new knowledge base.", BaseSchema()}};
  create.handler = [knowledge](RequestContext& ctx) -> Result<Response> {
    if (knowledge == nullptr) return NotLoaded();
    KILN_ASSIGN_OR_RETURN(auto kb,
                          knowledge->CreateBase(ctx.principal.workspace_id, ctx.body["name"],
                                                ctx.body.value("description", ""),
                                                ctx.body.value("settings", json())));
    return JsonResponse(201, BaseJson(kb));
  };
  router.Add(std::move(create));

  Route list = NewRoute("GET", "/v1/knowledge", "listKnowledgeBases",
                        "The workspace's knowledge bases, newest first", "knowledge");
  list.query_params = PaginationParams();
  list.responses = {{200, "A page of knowledge bases.", ListSchema(BaseSchema())}};
  list.handler = [repo](RequestContext& ctx) -> Result<Response> {
    KILN_ASSIGN_OR_RETURN(
        auto page, repo->ListBases(ctx.principal.workspace_id, ListOptionsFrom(ctx.request)));
    return PageResponse(page, BaseJson);
  };
  router.Add(std::move(list));

  Route get =
      NewRoute("GET", "/v1/knowledge/{id}", "getKnowledgeBase", "One knowledge base", "knowledge");
  get.path_params = {KbIdParam()};
  get.responses = {{200, "The knowledge base.", BaseSchema()}};
  get.handler = [repo](RequestContext& ctx) -> Result<Response> {
    KILN_ASSIGN_OR_RETURN(auto kb, repo->GetBase(ctx.principal.workspace_id, ctx.PathParam("id")));
    return JsonResponse(200, BaseJson(kb));
  };
  router.Add(std::move(get));

  Route patch = NewRoute("PATCH", "/v1/knowledge/{id}", "updateKnowledgeBase",
                         "Change a knowledge base's name, description or settings (settings "
                         "that change how documents are cut read every document again)",
                         "knowledge");
  patch.body_limit = body_limit;
  patch.request_schema = {{"type", "object"},
                          {"additionalProperties", false},
                          {"properties",
                           {{"name", name_schema},
                            {"description", {{"type", "string"}, {"maxLength", 2000}}},
                            {"settings", SettingsSchema()}}}};
  patch.path_params = {KbIdParam()};
  patch.responses = {{200, "The knowledge base.", BaseSchema()}};
  patch.handler = [knowledge](RequestContext& ctx) -> Result<Response> {
    if (knowledge == nullptr) return NotLoaded();
    std::optional<std::string> name, description;
    if (ctx.body.contains("name")) name = ctx.body["name"].get<std::string>();
    if (ctx.body.contains("description")) description = ctx.body["description"].get<std::string>();
    KILN_ASSIGN_OR_RETURN(
        auto kb, knowledge->UpdateBase(ctx.principal.workspace_id, ctx.PathParam("id"), name,
                                       description, ctx.body.value("settings", json())));
    return JsonResponse(200, BaseJson(kb));
  };
  router.Add(std::move(patch));

  Route remove = NewRoute("DELETE", "/v1/knowledge/{id}", "deleteKnowledgeBase",
                          "Delete a knowledge base with its documents", "knowledge");
  remove.path_params = {KbIdParam()};
  remove.responses = {{200, "Deleted.", DeletedSchema("knowledge_base")}};
  remove.handler = [knowledge](RequestContext& ctx) -> Result<Response> {
    if (knowledge == nullptr) return NotLoaded();
    const std::string& id = ctx.PathParam("id");
    KILN_RETURN_IF_ERROR(knowledge->DeleteBase(ctx.principal.workspace_id, id));
    return JsonResponse(200, {{"id", id}, {"object", "knowledge_base"}, {"deleted", true}});
  };
  router.Add(std::move(remove));

  Route add = NewRoute("POST", "/v1/knowledge/{id}/documents", "addDocuments",
                       "Add documents: files (multipart/form-data, several at once), or JSON "
                       "{\"url\"} to fetch, or {\"text\", \"name\"}; they are read in the "
                       "background (see their status)",
                       "knowledge");
  add.body_limit = upload_limit;
  add.path_params = {KbIdParam()};
  add.responses = {{202, "The queued documents.", ListSchema(DocumentSchema())}};
  add.errors = {400, 413, 422};
  add.handler = [knowledge](RequestContext& ctx) -> Result<Response> {
    if (knowledge == nullptr) return NotLoaded();
    KILN_ASSIGN_OR_RETURN(auto docs, DocumentsFrom(ctx.request));
    json data = json::array();
    for (auto& d : docs) {
      KILN_ASSIGN_OR_RETURN(auto doc, knowledge->AddDocument(ctx.principal.workspace_id,
                                                             ctx.PathParam("id"), std::move(d)));
      data.push_back(DocumentJson(doc));
    }
    return JsonResponse(202, ListEnvelope(std::move(data), false, ""));
  };
  router.Add(std::move(add));

  Route docs = NewRoute("GET", "/v1/knowledge/{id}/documents", "listDocuments",
                        "The base's documents with their status, newest first", "knowledge");
  docs.path_params = {KbIdParam()};
  docs.query_params = PaginationParams();
  docs.responses = {{200, "A page of documents.", ListSchema(DocumentSchema())}};
  docs.handler = [repo](RequestContext& ctx) -> Result<Response> {
    KILN_ASSIGN_OR_RETURN(auto page,
                          repo->ListDocuments(ctx.principal.workspace_id, ctx.PathParam("id"),
                                              ListOptionsFrom(ctx.request)));
    return PageResponse(page, DocumentJson);
  };
  router.Add(std::move(docs));

  Route doc = NewRoute("GET", "/v1/knowledge/{id}/documents/{doc_id}", "getDocument",
                       "One document: status (queued, parsing, embedding, ready, failed with "
                       "its reason) and progress",
                       "knowledge");
  doc.path_params = {KbIdParam(), DocIdParam()};
  doc.responses = {{200, "The document.", DocumentSchema()}};
  doc.handler = [repo](RequestContext& ctx) -> Result<Response> {
    KILN_ASSIGN_OR_RETURN(auto d, repo->GetDocument(ctx.principal.workspace_id, ctx.PathParam("id"),
                                                    ctx.PathParam("doc_id")));
    return JsonResponse(200, DocumentJson(d));
  };
  router.Add(std::move(doc));

  Route chunks = NewRoute("GET", "/v1/knowledge/{id}/documents/{doc_id}/chunks",
                          "listDocumentChunks", "A document's chunks, in order (chunk preview)",
                          "knowledge");
  chunks.path_params = {KbIdParam(), DocIdParam()};
  chunks.query_params = PaginationParams();
  chunks.responses = {{200, "A page of chunks.", ListSchema({{"type", "object"}})}};
  chunks.handler = [repo](RequestContext& ctx) -> Result<Response> {
    KILN_ASSIGN_OR_RETURN(auto page, repo->ListDocumentChunks(ctx.principal.workspace_id,
                                                              ctx.PathParam("id"),
                                                              ctx.PathParam("doc_id"),
                                                              ListOptionsFrom(ctx.request)));
    return PageResponse(page, [](const storage::StoredChunk& c) {
      return json{{"id", c.id},          {"object", "chunk"},   {"position", c.position},
                  {"text", c.text},      {"parent_text", c.parent_text},
                  {"heading_path", c.heading_path}, {"tokens", c.tokens}};
    });
  };
  router.Add(std::move(chunks));

  Route del_doc = NewRoute("DELETE", "/v1/knowledge/{id}/documents/{doc_id}", "deleteDocument",
                           "Delete a document from both indexes", "knowledge");
  del_doc.path_params = {KbIdParam(), DocIdParam()};
  del_doc.responses = {{200, "Deleted.", DeletedSchema("document")}};
  del_doc.handler = [knowledge](RequestContext& ctx) -> Result<Response> {
    if (knowledge == nullptr) return NotLoaded();
    const std::string& id = ctx.PathParam("doc_id");
    KILN_RETURN_IF_ERROR(
        knowledge->DeleteDocument(ctx.principal.workspace_id, ctx.PathParam("id"), id));
    return JsonResponse(200, {{"id", id}, {"object", "document"}, {"deleted", true}});
  };
  router.Add(std::move(del_doc));

  Route search = NewRoute("POST", "/v1/knowledge/{id}/search", "searchKnowledge",
                          "Search a knowledge base: chunks with scores, document name and "
                          "position (hybrid = reciprocal rank fusion of vector and full-text)",
                          "knowledge");
  search.body_limit = body_limit;
  search.request_schema = {{"type", "object"},
                           {"required", {"query"}},
                           {"additionalProperties", false},
                           {"properties",
                            {{"query", {{"type", "string"}, {"minLength", 1}, {"maxLength", 4096}}},
                             {"top_k", {{"type", "integer"}, {"minimum", 1}, {"maximum", 50}}},
                             {"min_score", {{"type", "number"}, {"minimum", 0}, {"maximum", 1}}},
                             {"mode", {{"enum", {"semantic", "full_text", "hybrid"}}}}}}};
  search.path_params = {KbIdParam()};
  search.responses = {{200, "The best chunks, best first.", ListSchema({{"type", "object"}})}};
  search.handler = [knowledge](RequestContext& ctx) -> Result<Response> {
    if (knowledge == nullptr) return NotLoaded();
    rag::SearchRequest req;
    req.query = ctx.body["query"].get<std::string>();
    req.top_k = ctx.body.value("top_k", 0);
    req.min_score = ctx.body.value("min_score", -1.0);
    if (ctx.body.contains("mode")) {
      KILN_ASSIGN_OR_RETURN(req.mode, rag::ParseRetrievalMode(ctx.body["mode"].get<std::string>()));
    }
    // What can be refused is refused here, with its status; the query is
    // then embedded off the I/O thread and the body follows when ready.
    KILN_RETURN_IF_ERROR(
        knowledge->CheckSearch(ctx.principal.workspace_id, ctx.PathParam("id"), req));
    auto out = std::make_shared<BodyStream>();
    knowledge->RunSearch(
        [knowledge, out, req, ws = ctx.principal.workspace_id, id = ctx.PathParam("id")] {
          if (out->cancelled()) return;
          Result<std::vector<rag::SearchHit>> hits = knowledge->Search(ws, id, req);
          if (!hits.ok()) return FailBody(*out, hits.status());
          json data = json::array();
          for (const auto& h : *hits) data.push_back(HitJson(h));
          out->Write(ListEnvelope(std::move(data), false, "")
                         .dump(-1, ' ', false, json::error_handler_t::replace));
          out->Close();
        });
    Response res;
    res.stream = std::move(out);
    res.defer_status = true;
    return res;
  };
  router.Add(std::move(search));
}

}  // namespace kiln::web
