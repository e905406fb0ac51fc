package api

import (
	"errors"
	"io"
	"net/http"
	"strconv"

	"github.com/hanbox/hanbox/avatar"
	"github.com/hanbox/hanbox/store"
)

// putMyAvatar replaces the signed-in agent's avatar with the image in the
// body (PNG, JPEG or GIF, at most avatar.MaxBytes). The stored avatar is
// the square PNG avatar.Normalize re-encodes, never the uploaded bytes.
func (a *API) putMyAvatar(w http.ResponseWriter, r *http.Request) (int, any, error) {
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, avatar.MaxBytes+1))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return 0, nil, errf(http.StatusRequestEntityTooLarge, "avatar_too_large", "the picture is larger than %d MiB", avatar.MaxBytes>>20).With("max_mib", avatar.MaxBytes>>20)
	case err != nil:
		return 0, nil, errf(http.StatusBadRequest, "bad_body", "the request body cannot be read")
	}
	png, err := avatar.Normalize(data)
	switch {
	case errors.Is(err, avatar.ErrTooLarge):
		return 0, nil, errf(http.StatusRequestEntityTooLarge, "avatar_too_large", "the picture is larger than %d MiB", avatar.MaxBytes>>20).With("max_mib", avatar.MaxBytes>>20)
	case errors.Is(err, avatar.ErrType):
		return 0, nil, errf(http.StatusUnsupportedMediaType, "avatar_type", "the picture must be PNG, JPEG or GIF")
	case err != nil:
		a.log.Info("avatar refused", "agent_id", principal(r).Agent.ID, "err", err)
		return 0, nil, errf(http.StatusUnprocessableEntity, "avatar_invalid", "the picture cannot be read (at most %d pixels a side)", avatar.MaxSide).With("max_side", avatar.MaxSide)
	}
	sum, err := a.Store.PutBlob(png)
	if err != nil {
		return 0, nil, err
	}
	ag, err := a.Store.UpdateAgentProfile(r.Context(), principal(r).Agent.ID, store.AgentProfile{AvatarSum: &sum})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, profileJSON(ag), nil
}

// deleteMyAvatar removes the signed-in agent's avatar (initials again).
func (a *API) deleteMyAvatar(w http.ResponseWriter, r *http.Request) (int, any, error) {
	none := ""
	ag, err := a.Store.UpdateAgentProfile(r.Context(), principal(r).Agent.ID, store.AgentProfile{AvatarSum: &none})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, profileJSON(ag), nil
}

// getAvatar serves an agent's avatar by its blob name. Blobs are named by
// their hash, so one URL always means the same bytes: cached for a year.
func (a *API) getAvatar(w http.ResponseWriter, r *http.Request) (int, any, error) {
	sum := r.PathValue("sum")
	ok, err := a.Store.IsAvatar(r.Context(), sum)
	if err != nil {
		return 0, nil, err
	}
	if !ok {
		return 0, nil, store.ErrNotFound
	}
	rc, err := a.Store.OpenBlob(sum)
	if err != nil {
		return 0, nil, err
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, avatar.MaxBytes))
	if err != nil {
		return 0, nil, err
	}
	h := w.Header()
	h.Set("Content-Type", "image/png")
	h.Set("Content-Length", strconv.Itoa(len(data)))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	// The chat widget shows it on customers' sites.
	h.Set("Cross-Origin-Resource-Policy", "cross-origin")
	w.WriteHeader(http.StatusOK)
	if _, err := w.Write(data); err != nil {
		a.log.Debug("send avatar", "err", err)
	}
	return 0, nil, nil
}
