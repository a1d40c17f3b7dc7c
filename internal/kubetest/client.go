package kubetest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// fieldManager names this client in managedFields.
const fieldManager = "novacron-kubetest"

// Object is a Kubernetes object as JSON decodes it: apiVersion, kind, metadata, spec, ...
type Object map[string]any

// APIVersion returns the object's apiVersion ("" when absent).
func (o Object) APIVersion() string { s, _ := o["apiVersion"].(string); return s }

// Kind returns the object's kind ("" when absent).
func (o Object) Kind() string { s, _ := o["kind"].(string); return s }

// Name returns metadata.name ("" when absent).
func (o Object) Name() string { return o.metadataString("name") }

// Namespace returns metadata.namespace ("" when absent).
func (o Object) Namespace() string { return o.metadataString("namespace") }

func (o Object) metadataString(key string) string {
	md, _ := o["metadata"].(map[string]any)
	s, _ := md[key].(string)
	return s
}

// String names the object for a failure message: "NetworkPolicy novacron/default-deny".
func (o Object) String() string {
	if ns := o.Namespace(); ns != "" {
		return o.Kind() + " " + ns + "/" + o.Name()
	}
	return o.Kind() + " " + o.Name()
}

// Refusal is the API server's answer to a request it did not accept.
type Refusal struct {
	Status  int
	Reason  string
	Message string
}

func (r *Refusal) Error() string {
	if r.Reason != "" {
		return fmt.Sprintf("%s (%d): %s", r.Reason, r.Status, r.Message)
	}
	return fmt.Sprintf("status %d: %s", r.Status, r.Message)
}

// Options say how an object is sent.
type Options struct {
	// DryRun has the server validate, default and admit the object without storing it.
	DryRun bool
}

// Apply sends the object with server-side apply and strict field validation: an unknown or
// duplicate field is refused, not dropped.
func (s *Server) Apply(ctx context.Context, obj Object, opts Options) error {
	path, err := s.objectPath(ctx, obj, true)
	if err != nil {
		return err
	}
	q := url.Values{"fieldManager": {fieldManager}, "force": {"true"}, "fieldValidation": {"Strict"}}
	if opts.DryRun {
		q.Set("dryRun", "All")
	}
	body, err := json.Marshal(obj)
	if err != nil {
		return fmt.Errorf("%s: %w", obj, err)
	}
	return s.expect(ctx, http.MethodPatch, path+"?"+q.Encode(), "application/apply-patch+yaml", body)
}

// Create posts the object (dry run when asked) with strict field validation. Pods go through
// Create: Pod Security admission judges a pod when it is created.
func (s *Server) Create(ctx context.Context, obj Object, opts Options) error {
	path, err := s.objectPath(ctx, obj, false)
	if err != nil {
		return err
	}
	q := url.Values{"fieldManager": {fieldManager}, "fieldValidation": {"Strict"}}
	if opts.DryRun {
		q.Set("dryRun", "All")
	}
	body, err := json.Marshal(obj)
	if err != nil {
		return fmt.Errorf("%s: %w", obj, err)
	}
	return s.expect(ctx, http.MethodPost, path+"?"+q.Encode(), "application/json", body)
}

// Get reads an object by its API path ("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/x").
func (s *Server) Get(ctx context.Context, path string) (Object, error) {
	status, body, err := s.do(ctx, http.MethodGet, path, "", nil)
	if err != nil {
		return nil, err
	}
	if status != http.StatusOK {
		return nil, refusal(status, body)
	}
	var obj Object
	if err := json.Unmarshal(body, &obj); err != nil {
		return nil, fmt.Errorf("GET %s: %w", path, err)
	}
	return obj, nil
}

func (s *Server) expect(ctx context.Context, method, path, contentType string, body []byte) error {
	status, resp, err := s.do(ctx, method, path, contentType, body)
	if err != nil {
		return err
	}
	if status < 200 || status > 299 {
		return refusal(status, resp)
	}
	return nil
}

func (s *Server) do(ctx context.Context, method, path, contentType string, body []byte) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, s.URL+path, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+s.token)
	req.Header.Set("Accept", "application/json")
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer func() { _ = resp.Body.Close() }()
	data, err := io.ReadAll(resp.Body)
	return resp.StatusCode, data, err
}

// refusal turns a metav1.Status body into an error that carries the server's message.
func refusal(status int, body []byte) error {
	var st struct {
		Reason  string `json:"reason"`
		Message string `json:"message"`
	}
	if json.Unmarshal(body, &st) != nil || st.Message == "" {
		st.Message = strings.TrimSpace(string(body))
	}
	return &Refusal{Status: status, Reason: st.Reason, Message: st.Message}
}

// apiResource is one entry of a discovery document.
type apiResource struct {
	Name       string `json:"name"`
	Kind       string `json:"kind"`
	Namespaced bool   `json:"namespaced"`
}

// objectPath maps apiVersion and kind to the REST path through the server's discovery, the way
// kubectl does, so no kind needs code of its own. With named, the path ends in the object's
// name (apply); without, at the collection (create).
func (s *Server) objectPath(ctx context.Context, obj Object, named bool) (string, error) {
	gv, kind, name := obj.APIVersion(), obj.Kind(), obj.Name()
	if gv == "" || kind == "" || name == "" {
		return "", fmt.Errorf("%s: apiVersion, kind and metadata.name are required", obj)
	}
	res, err := s.resourceFor(ctx, gv, kind)
	if err != nil {
		return "", fmt.Errorf("%s: %w", obj, err)
	}
	path := "/apis/" + gv
	if gv == "v1" {
		path = "/api/v1"
	}
	if res.Namespaced {
		ns := obj.Namespace()
		if ns == "" {
			return "", fmt.Errorf("%s: a namespaced kind needs metadata.namespace", obj)
		}
		path += "/namespaces/" + url.PathEscape(ns)
	}
	path += "/" + res.Name
	if named {
		path += "/" + url.PathEscape(name)
	}
	return path, nil
}

func (s *Server) resourceFor(ctx context.Context, gv, kind string) (apiResource, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	list, ok := s.discovery[gv]
	if !ok || !hasKind(list, kind) {
		// Not cached, or a CRD installed since: ask again.
		path := "/apis/" + gv
		if gv == "v1" {
			path = "/api/v1"
		}
		status, body, err := s.do(ctx, http.MethodGet, path, "", nil)
		if err != nil {
			return apiResource{}, err
		}
		if status != http.StatusOK {
			return apiResource{}, fmt.Errorf("the server serves no API %s (is its CRD installed?)", gv)
		}
		var doc struct {
			Resources []apiResource `json:"resources"`
		}
		if err := json.Unmarshal(body, &doc); err != nil {
			return apiResource{}, fmt.Errorf("discovery of %s: %w", gv, err)
		}
		if s.discovery == nil {
			s.discovery = map[string][]apiResource{}
		}
		s.discovery[gv], list = doc.Resources, doc.Resources
	}
	for _, r := range list {
		if r.Kind == kind && !strings.Contains(r.Name, "/") {
			return r, nil
		}
	}
	return apiResource{}, fmt.Errorf("the server serves no kind %s in %s", kind, gv)
}

func hasKind(list []apiResource, kind string) bool {
	for _, r := range list {
		if r.Kind == kind {
			return true
		}
	}
	return false
}

// waitEstablished polls a CRD until the server serves it.
func (s *Server) waitEstablished(ctx context.Context, name string) error {
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		crd, err := s.Get(ctx, "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/"+name)
		if err == nil && established(crd) {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("CustomResourceDefinition %s not established after 60s", name)
}

func established(crd Object) bool {
	status, _ := crd["status"].(map[string]any)
	conditions, _ := status["conditions"].([]any)
	for _, c := range conditions {
		cond, _ := c.(map[string]any)
		if cond["type"] == "Established" && cond["status"] == "True" {
			return true
		}
	}
	return false
}
