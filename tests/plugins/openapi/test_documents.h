// One OpenAPI 3.0 document written twice, as JSON and as YAML (block style,
// a flow list, quoted and plain scalars), for the tests that compare the two
// readings and for the fuzz loop's seeds.
#pragma once

namespace kiln::plugins::openapitest {

inline constexpr const char* kPetstoreJson = R"({
  "openapi": "3.0.3",
  "info": {"title": "Petstore", "version": "1.0"},
  "servers": [{"url": "https://{env}.example.com/v1", "variables": {"env": {"default": "api"}}}],
  "paths": {
    "/pets": {
      "get": {
        "operationId": "listPets",
        "summary": "List pets",
        "parameters": [
          {"name": "limit", "in": "query",
           "schema": {"type": "integer", "format": "int32", "minimum": 1, "maximum": 100}},
          {"name": "tags", "in": "query", "schema": {"type": "array", "items": {"type": "string"}}}
        ]
      },
      "post": {
        "operationId": "createPet",
        "summary": "Create a pet",
        "requestBody": {
          "required": true,
          "content": {"application/json": {"schema": {"$ref": "#/components/schemas/NewPet"}}}
        }
      }
    },
    "/pets/{petId}": {
      "parameters": [{"$ref": "#/components/parameters/PetId"}],
      "get": {
        "operationId": "showPetById",
        "description": "Info for a specific pet",
        "parameters": [{"name": "X-Request-Id", "in": "header", "schema": {"type": "string"}}]
      },
      "delete": {"summary": "Delete a pet"}
    }
  },
  "components": {
    "parameters": {
      "PetId": {"name": "petId", "in": "path", "required": true, "description": "The id of the pet",
                "schema": {"type": "string", "pattern": "^[0-9]+$"}}
    },
    "schemas": {
      "NewPet": {
        "type": "object",
        "required": ["name"],
        "properties": {
          "name": {"type": "string", "maxLength": 50},
          "tag": {"type": "string", "nullable": true},
          "code": {"type": "string", "enum": ["123", "456"], "example": "007"},
          "age": {"type": "integer", "default": 1},
          "vaccinated": {"type": "boolean", "enum": [true, false]},
          "weight": {"type": "number", "enum": [1.5, 2, null], "nullable": true}
        }
      }
    }
  }
})";

inline constexpr const char* kPetstoreYaml = R"(# The same document as kPetstoreJson.
openapi: 3.0.3
info:
  title: Petstore
  version: "1.0"
servers:
  - url: https://{env}.example.com/v1
    variables:
      env:
        default: api
paths:
  /pets:
    get:
      operationId: listPets
      summary: List pets
      parameters:
        - name: limit
          in: query
          schema:
            type: integer
            format: int32
            minimum: 1
            maximum: 100
        - name: tags
          in: query
          schema:
            type: array
            items:
              type: string
    post:
      operationId: createPet
      summary: Create a pet
      requestBody:
        required: true
        content:
          application/json:
            schema:
              $ref: '#/components/schemas/NewPet'
  /pets/{petId}:
    parameters:
      - $ref: "#/components/parameters/PetId"
    get:
      operationId: showPetById
      description: Info for a specific pet
      parameters:
        - {name: X-Request-Id, in: header, schema: {type: string}}
    delete:
      summary: Delete a pet
components:
  parameters:
    PetId:
      name: petId
      in: path
      required: true
      description: The id of the pet
      schema:
        type: string
        pattern: "^[0-9]+$"
  schemas:
    NewPet:
      type: object
      required: [name]
      properties:
        name:
          type: string
          maxLength: 50
        tag:
          type: string
          nullable: true
        code:
          type: string
          enum: ["123", '456']
          example: "007"
        age:
          type: integer
          default: 1
        vaccinated:
          type: boolean
          enum: [true, false]
        weight:
          type: number
          enum: [1.5, 2, ~]
          nullable: True
)";

}  // namespace kiln::plugins::openapitest
