"""Model gateway: embedders, rerankers and answerers behind small contracts and registries."""
