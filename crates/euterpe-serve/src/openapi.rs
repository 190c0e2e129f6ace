//! The OpenAPI 3 description of the service, served at `/openapi.json`.

use serde_json::{json, Value};

use crate::request::DEFAULT_BARS;

/// The document.
pub fn document() -> Value {
    let error = json!({"$ref": "#/components/schemas/Error"});
    let error_response = |what: &str| {
        json!({
            "description": what,
            "content": {"application/json": {"schema": error}}
        })
    };
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "euterpe",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Neural music generation: pieces from an emotion, a style or blend, a primer; their MIDI, WAV and piano roll; classification of MIDI by emotion and style; live generation over a WebSocket at /live."
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {
                        "error": {"type": "string", "description": "What went wrong."},
                        "field": {"type": "string", "description": "The request field at fault."},
                        "valid": {"type": "array", "items": {"type": "string"}, "description": "The values that field accepts."}
                    }
                },
                "GenerateRequest": generate_request_schema(),
                "Piece": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "string", "pattern": "^[0-9a-f]{16}$"},
                        "parameters": {"type": "object", "description": "Every parameter used, the seed included: send them again for the same piece."},
                        "notes": {"type": "integer"},
                        "duration_seconds": {"type": "number"},
                        "new_tokens": {"type": "integer"},
                        "generation_seconds": {"type": "number"},
                        "links": {
                            "type": "object",
                            "properties": {
                                "midi": {"type": "string"}, "wav": {"type": "string"}, "png": {"type": "string"}
                            }
                        }
                    }
                }
            }
        },
        "security": [{"bearer": []}],
        "paths": {
            "/generate_music": {
                "post": {
                    "summary": "Generate a piece",
                    "requestBody": {
                        "required": false,
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/GenerateRequest"}},
                            "application/x-www-form-urlencoded": {"schema": {"$ref": "#/components/schemas/GenerateRequest"}},
                            "multipart/form-data": {"schema": {"$ref": "#/components/schemas/GenerateRequest"}}
                        }
                    },
                    "responses": {
                        "200": {
                            "description": "The piece: JSON with links, or its bytes when Accept asks for audio/midi, audio/wav or image/png.",
                            "content": {
                                "application/json": {"schema": {"$ref": "#/components/schemas/Piece"}},
                                "audio/midi": {"schema": {"type": "string", "format": "binary"}},
                                "audio/wav": {"schema": {"type": "string", "format": "binary"}},
                                "image/png": {"schema": {"type": "string", "format": "binary"}}
                            }
                        },
                        "400": error_response("A field is missing its type or range; the error names it."),
                        "401": error_response("A bearer token is required."),
                        "404": error_response("Unknown model."),
                        "413": error_response("The body is over the limit."),
                        "415": error_response("The content type is not read."),
                        "503": error_response("Every worker is busy and the queue is full; see Retry-After."),
                        "504": error_response("The request did not finish within the server's limit.")
                    }
                }
            },
            "/pieces/{file}": {
                "get": {
                    "summary": "A generated piece's MIDI, WAV or piano-roll PNG",
                    "parameters": [{"name": "file", "in": "path", "required": true, "schema": {"type": "string", "pattern": "^[0-9a-f]{16}\\.(mid|wav|png)$"}}],
                    "responses": {
                        "200": {"description": "The file.", "content": {
                            "audio/midi": {"schema": {"type": "string", "format": "binary"}},
                            "audio/wav": {"schema": {"type": "string", "format": "binary"}},
                            "image/png": {"schema": {"type": "string", "format": "binary"}}
                        }},
                        "404": error_response("No such piece (it may have been evicted).")
                    }
                }
            },
            "/models": {"get": {"summary": "The models: kind, conditioning, styles, training metrics", "responses": {"200": {"description": "The catalogue.", "content": {"application/json": {}}}}}},
            "/health": {"get": {"summary": "Liveness and load (no token needed)", "security": [], "responses": {"200": {"description": "Up.", "content": {"application/json": {}}}}}},
            "/classify": {
                "post": {
                    "summary": "Emotion and style of a MIDI upload; emotion of a recording (WAV, MP3, FLAC, Ogg)",
                    "requestBody": {"content": {
                        "audio/midi": {"schema": {"type": "string", "format": "binary"}},
                        "audio/*": {"schema": {"type": "string", "format": "binary"}},
                        "multipart/form-data": {"schema": {"type": "object", "properties": {"file": {"type": "string", "format": "binary"}}}}
                    }},
                    "responses": {
                        "200": {"description": "Per classifier: the class and every class's probability.", "content": {"application/json": {}}},
                        "400": error_response("Not a usable MIDI file or recording."),
                        "415": error_response("A recording, but no audio classifier is served.")
                    }
                }
            },
            "/live": {
                "get": {
                    "summary": "Live generation (WebSocket): note events timed to the tempo; send {\"type\":\"control\", …} to change emotion, style, temperature, tempo, density or register while it plays",
                    "parameters": [{"name": "token", "in": "query", "required": false, "schema": {"type": "string"}, "description": "The bearer token, for browsers that cannot send headers on a WebSocket."}],
                    "responses": {"101": {"description": "Switching to the WebSocket protocol."}}
                }
            }
        }
    })
}

fn generate_request_schema() -> Value {
    json!({
        "type": "object",
        "additionalProperties": false,
        "properties": {
            "prompt": {"type": "string", "description": "What to write, in words (\"a slow, sad piano piece in 3/4, 16 bars\"): its tempo, emotion, style, instrument, key, meter and length fill the fields not given (mood words outside the lists go to the learned text-emotion layer); the response's prompt object lists what was understood, the words not used and the words the text encoder does not know (unknown)."},
            "image": {"type": "string", "format": "byte", "description": "A picture, base64 PNG or JPEG (or a file part in a multipart form): its brightness, saturation, hues, contrast and edges set valence, arousal, tempo, density and register where neither a field nor the prompt does."},
            "meter": {"type": "string", "description": "The meter every bar keeps (\"3/4\", \"6/8\"); REMI models; not with a primer."},
            "density": {"type": "number", "minimum": 0.25, "maximum": 4, "description": "Notes this many times as often as the model would play them (default 1, or set by the emotion's arousal)."},
            "register": {"type": "number", "minimum": 21, "maximum": 108, "description": "A MIDI pitch the notes gather around."},
            "key": {"type": "string", "description": "The key to write in (\"D minor\", \"F#\"): of a few sampled pieces the one in the mode asked is kept and moved to the tonic; not with a primer."},
            "emotion": {"type": "string", "description": "happy, tense, sad, calm (Q1–Q4) or a synonym", "example": "happy"},
            "valence": {"type": "number", "minimum": -1, "maximum": 1, "description": "With arousal: a point between the four emotions."},
            "arousal": {"type": "number", "minimum": -1, "maximum": 1},
            "style": {"type": "string", "description": "A style the model knows, or a blend such as pop=0.7,folk=0.3 (see /models)."},
            "bars": {"type": "integer", "minimum": 1, "default": DEFAULT_BARS},
            "tempo": {"type": "number", "minimum": 20, "maximum": 400, "description": "BPM (default: the model's choice)."},
            "temperature": {"type": "number", "minimum": 0.05, "maximum": 5, "default": 1.0},
            "top_k": {"type": "integer", "minimum": 1},
            "top_p": {"type": "number", "exclusiveMinimum": 0, "maximum": 1},
            "seed": {"type": "integer", "minimum": 0, "description": "Default: a fresh one, reported in the response."},
            "primer": {"type": "string", "format": "byte", "description": "A MIDI file to continue, base64 (or a file part in a multipart form)."},
            "model": {"type": "string", "description": "A generator from /models (default: one that follows the controls asked for)."},
            "program": {"type": "integer", "minimum": 0, "maximum": 127, "description": "General MIDI program of the melodic tracks."},
            "guidance": {"type": "number", "minimum": 1, "maximum": 10, "description": "Classifier-free guidance of emotion and style (default 3 with a control)."},
            "format": {"type": "string", "enum": ["midi", "wav", "png"], "description": "Answer with the file's bytes instead of JSON (as Accept does)."}
        }
    })
}
