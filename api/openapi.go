package api

import (
	"maps"
	"net/http"
	"regexp"
	"strings"
)

var pathParam = regexp.MustCompile(`\{([a-z_]+)\}`)

// OpenAPI returns the OpenAPI 3.1 document of the API, built from the same
// route table as the mux, so the two cannot drift apart.
func (a *API) OpenAPI() map[string]any {
	paths := map[string]any{}
	for _, rt := range a.routes() {
		p, _ := paths[rt.Path].(map[string]any)
		if p == nil {
			p = map[string]any{}
			paths[rt.Path] = p
		}
		op := map[string]any{
			"summary":     rt.Summary,
			"operationId": strings.ToLower(rt.Method) + strings.NewReplacer("/", "_", "{", "", "}", "", "-", "_").Replace(rt.Path),
			"responses": map[string]any{
				"2XX": map[string]any{"description": rt.Result},
				"4XX": map[string]any{"description": "client error", "content": map[string]any{"application/json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Error"}}}},
			},
		}
		var params []any
		for _, m := range pathParam.FindAllStringSubmatch(rt.Path, -1) {
			params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
		}
		params = append(params, headerParams[rt.Method+" "+rt.Path]...)
		if params != nil {
			op["parameters"] = params
		}
		if rt.Result == "EventStream" {
			op["responses"].(map[string]any)["2XX"] = map[string]any{"description": rt.Result, "content": map[string]any{
				"text/event-stream": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Event"}}}}
		}
		if rt.Body != "" {
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{"application/json": map[string]any{
				"schema": map[string]any{"type": "object", "title": rt.Body}}}}
		}
		if b, ok := rawBodies[rt.Method+" "+rt.Path]; ok {
			op["requestBody"] = b
		}
		switch rt.Auth {
		case authNone:
			op["security"] = []any{}
		case authAdmin:
			op["x-hanbox-role"] = "admin"
		}
		p[strings.ToLower(rt.Method)] = op
	}
	schemas := map[string]any{
		"Error": map[string]any{"type": "object", "properties": map[string]any{"error": map[string]any{"type": "object",
			"properties": map[string]any{"code": map[string]any{"type": "string"}, "reason": map[string]any{"type": "string"},
				"message": map[string]any{"type": "string"}, "params": map[string]any{"type": "object"}}}}},
	}
	// Each feature adds its schemas here, one line each.
	for _, set := range []map[string]any{
		eventSchemas(),
		linkSchemas(),
		surveySchemas(),
		slaSchemas(),
		ruleSchemas(),
		auditSchemas(),
		webhookSchemas(),
		profileSchemas(),
		contactIOSchemas(),
		reportSchemas(),
		optOutSchemas(),
		npsSchemas(),
		notifySchemas(),
		campaignSchemas(),
		assistSchemas(),
		helpSchemas(),
		kbFileSchemas(),
	} {
		maps.Copy(schemas, set)
	}
	return map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{"title": "Hanbox API", "version": a.Version,
			"description": "Cookie sessions must send X-CSRF-Token (from /auth/me or /auth/login) on writes; bearer tokens need not."},
		"servers": []any{map[string]any{"url": "/api/v1"}},
		"paths":   paths,
		"components": map[string]any{
			"securitySchemes": map[string]any{
				"bearer":  map[string]any{"type": "http", "scheme": "bearer"},
				"session": map[string]any{"type": "apiKey", "in": "cookie", "name": "hanbox_session"},
			},
			"schemas": schemas,
		},
		"security": []any{map[string]any{"bearer": []any{}}, map[string]any{"session": []any{}}},
	}
}

func (a *API) openapi(w http.ResponseWriter, r *http.Request) (int, any, error) {
	return http.StatusOK, a.OpenAPI(), nil
}
